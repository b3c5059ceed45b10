// Helpers of the slot-accounting integration tests (slots-*.test.ts).
import type { OperatorProcess } from '../support/operator.js';

/** metric sums the samples of one metric whose labels include `labels`, from the operator's /metrics. */
export async function metric(op: OperatorProcess, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(op.metricsUrl)).text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum = (sum ?? 0) + Number(m[4]);
  }
  return sum;
}
