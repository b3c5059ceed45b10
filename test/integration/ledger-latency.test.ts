// How fast the ledger records runs when many finish together: 100 Schedules each get a run-now at once;
// latency is from the moment a watch sees the Job finish to the moment a watch sees the Schedule's
// status.runs count it. Also the API writes the operator made per finished run.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, JobWatch, requestRun } from './ledger-helpers.js';

const N = 100;
const env = useOperatorNamespace('latency', { ledgerPolicy: true, resyncPeriod: '10m', env: { LOG_LEVEL: 'info' }, startOperator: false });
let jobs: JobWatch;
const finishedAt = new Map<string, number>(); // schedule -> when its Job was seen finished
const countedAt = new Map<string, number>(); // schedule -> when its status was seen counting it
let abortSchedules: AbortController | undefined;
let stopped = false;

beforeAll(async () => {
  jobs = new JobWatch(env.kubeconfig, env.ns, (_uid, job) => {
    if (job.result && !finishedAt.has(job.schedule)) finishedAt.set(job.schedule, Date.now());
  });
  await jobs.start();
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  // The watch starts again whenever it ends (a server timeout, an error right after the CRD was installed): a
  // new watch lists every Schedule as ADDED, so no count is missed, only seen later.
  const watchSchedules = async (): Promise<void> => {
    if (stopped) return;
    abortSchedules = await new Watch(kc).watch(
      schedulesPath(env.ns),
      {},
      (_phase, s: any) => {
        if ((s?.status?.runs?.total ?? 0) >= 1 && !countedAt.has(s.metadata.name)) countedAt.set(s.metadata.name, Date.now());
      },
      () => void setTimeout(() => void watchSchedules().catch(() => undefined), 100),
    );
  };
  await watchSchedules();
  await env.start();
});

afterAll(async () => {
  stopped = true;
  abortSchedules?.abort();
  jobs?.stop();
});

async function writes(): Promise<Record<string, number>> {
  const text = await (await fetch(env.operator!.metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    // Failed passes (a 409 on a stale status write, mostly) are not writes, but they are where a tail comes from.
    const failed = line.match(/^controller_runtime_reconcile_errors_total\{.*\} (\S+)$/);
    if (failed) out['failed passes'] = Number(failed[1]);
    const m = line.match(/^schedule_operator_api_writes_total\{(.*)\} (\S+)$/);
    if (!m) continue;
    const verb = m[1]!.match(/verb="([^"]+)"/)?.[1];
    const resource = m[1]!.match(/resource="([^"]+)"/)?.[1];
    out[`${verb} ${resource}`] = Number(m[2]);
  }
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('ledger latency', () => {
  it(`records ${N} runs finishing together, each within seconds of its Job finishing`, async () => {
    const names = Array.from({ length: N }, (_, i) => `lat-${String(i).padStart(3, '0')}`);
    await Promise.all(names.map((name) => applySchedule(env.kube, env.ns, name, { successfulJobsHistoryLimit: 1 })));
    await eventually(
      `${N} Schedules Ready`,
      async () => {
        const list = await env.kube.get(schedulesPath(env.ns));
        return (
          list.items.filter((s: any) => s.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === N
        );
      },
      120_000,
      500,
    );
    const before = await writes();
    await Promise.all(names.map((name) => requestRun(env.kube, env.ns, name, 'go')));
    await eventually(`all ${N} runs counted`, async () => countedAt.size === N && finishedAt.size === N, 180_000, 250);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await writes();
    const latencies = names.map((n) => countedAt.get(n)! - finishedAt.get(n)!);
    const delta = Object.fromEntries(
      Object.keys(after)
        .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])
        .filter(([, v]) => (v as number) > 0),
    );
    console.log(
      `ledger latency, ${N} runs finishing together: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${Math.max(...latencies)} ms; ` +
        `writes per run: ${Object.entries(delta)
          .map(([k, v]) => `${k} ${((v as number) / N).toFixed(2)}`)
          .join(', ')}`,
    );
    for (const name of names) expect((await env.kube.get(schedulesPath(env.ns, name))).status.runs.total).toBe(1);
    expect(pct(latencies, 99)).toBeLessThan(30_000);
  });

  it('leaves no Job behind when the Schedules are deleted', async () => {
    const list = await env.kube.get(schedulesPath(env.ns));
    await Promise.all(list.items.map((s: any) => deleteSchedule(env.kube, env.ns, s.metadata.name)));
    await expectNoJobsLeft(env.kube, env.ns, 120_000);
  });
});
