// Vitest global setup of the integration project: one Kubernetes control plane per test run.
//
//   SCHEDULE_OPERATOR_TEST_KUBECONFIG=<file>  use that cluster; start and stop nothing
//   TEST_CLUSTER=k3s                          k3s in a container (needs Docker; fails in one line without it)
//   otherwise (TEST_CLUSTER=local)            test/cluster/cluster.sh up in .cluster-test/run-<pid>, down afterwards
//
// Tests read the kubeconfig path with inject('kubeconfig'); clusterBin is the folder with kubectl and helm ('' when
// unknown), clusterDir the local cluster's state folder ('' for other backends). See docs/test-cluster.md.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startK3s } from './k3s.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    clusterBin: string;
    clusterDir: string;
    /** testRunPid: this vitest process; fault tests name their own control planes' folders after it. */
    testRunPid: number;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const clusterScript = join(here, 'cluster.sh');
const runsRoot = join(repo, '.cluster-test');

/** run executes a bash script; stderr is shown as it comes and kept for the error message. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${script} ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * pruneStaleRuns stops clusters (by their pid files) left by test runs whose vitest process is gone: the run's shared
 * cluster (run-<pid>) and the control planes fault tests started for themselves (run-<pid>-<name>).
 */
async function pruneStaleRuns(): Promise<void> {
  if (!existsSync(runsRoot)) return;
  for (const entry of readdirSync(runsRoot)) {
    const pid = Number(/^run-(\d+)(?:-[a-z0-9-]+)?$/.exec(entry)?.[1]);
    if (!pid || alive(pid)) continue;
    await run(clusterScript, ['down'], { CLUSTER_DIR: join(runsRoot, entry) });
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  project.provide('testRunPid', process.pid);
  await pruneStaleRuns();
  const external = process.env.SCHEDULE_OPERATOR_TEST_KUBECONFIG;
  if (external) {
    if (!existsSync(external))
      throw new Error(`SCHEDULE_OPERATOR_TEST_KUBECONFIG=${external} does not exist; point it at a kubeconfig file or unset it`);
    project.provide('kubeconfig', external);
    project.provide('clusterBin', process.env.CLUSTER_BIN ?? '');
    project.provide('clusterDir', '');
    return;
  }

  const backend = process.env.TEST_CLUSTER ?? 'local';
  if (backend === 'k3s') {
    const k3s = await startK3s();
    project.provide('kubeconfig', k3s.kubeconfig);
    project.provide('clusterBin', process.env.CLUSTER_BIN ?? '');
    project.provide('clusterDir', '');
    return () => k3s.stop();
  }
  if (backend !== 'local') throw new Error(`TEST_CLUSTER=${backend} is not a backend; use local (the default) or k3s`);

  const bin = process.env.CLUSTER_BIN ?? (await run(join(here, 'build.sh'), [], {})).stdout.trim();
  const dir = process.env.TEST_CLUSTER_DIR ?? join(runsRoot, `run-${process.pid}`);
  const up = await run(clusterScript, ['up'], { CLUSTER_DIR: dir, CLUSTER_BIN: bin });
  project.provide('kubeconfig', join(dir, 'kubeconfig'));
  project.provide('clusterBin', bin);
  project.provide('clusterDir', dir);
  // A cluster this run did not start (TEST_CLUSTER_DIR naming a running one) is left alone.
  if (up.stderr.includes('cluster: reusing')) return;
  // Logs stay in <dir>/logs for a look after a failed run; the next run removes them.
  return async () => {
    await run(clusterScript, ['down'], { CLUSTER_DIR: dir, CLUSTER_KEEP_LOGS: '1' });
  };
}
