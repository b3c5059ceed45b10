// Helpers for the chart, webhook and RBAC integration tests: the helm and kubectl binaries of the test
// cluster, and rendering the chart.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';

export const CHART = 'charts/schedule-operator';

/** binDir is the folder with helm and kubectl: the cluster's, else the one test/cluster/build.sh prints. */
export function binDir(): string {
  const provided = inject('clusterBin' as never) as unknown as string | undefined;
  if (provided && existsSync(join(provided, 'helm'))) return provided;
  return execFileSync('bash', ['test/cluster/build.sh'], { encoding: 'utf8' }).trim();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** run executes a binary of binDir() and never throws: tests assert on code and output. */
export function run(bin: 'helm' | 'kubectl', args: string[], env: Record<string, string> = {}, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      join(binDir(), bin),
      args,
      {
        env: {
          ...process.env,
          HELM_CACHE_HOME: '/tmp/so-helm-cache',
          HELM_CONFIG_HOME: '/tmp/so-helm-config',
          HELM_DATA_HOME: '/tmp/so-helm-data',
          ...env,
        },
        maxBuffer: 64 << 20,
        timeout: 170_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) {
      child.stdin!.end(input);
    }
  });
}

/** render runs `helm template` and returns the objects, failing with helm's message. */
export async function render(release: string, namespace: string, args: string[] = []): Promise<any[]> {
  const r = await run('helm', ['template', release, CHART, '--namespace', namespace, ...args]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
}
