// A control plane of a test file's own, for fault tests: killing, restarting or freezing a component of the shared
// test cluster would break the files running beside it, so each fault file starts its own with test/cluster/cluster.sh
// (about 6-10 s) and drives faults through the same script (docs/test-cluster.md, "Faults").
//
// Its folder is .cluster-test/run-<vitest pid>-<name>: global-setup.ts stops it if the run was killed before afterAll.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = join(repo, 'test', 'cluster', 'cluster.sh');

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface ShResult {
  stdout: string;
  stderr: string;
  ms: number;
}

export interface ControlPlane {
  dir: string;
  /** kubeconfig: the admin kubeconfig of this control plane. */
  kubeconfig: string;
  /** apiPort: the kube-apiserver's port on 127.0.0.1. */
  apiPort: number;
  /** sh runs `cluster.sh <args>` on this control plane; it rejects with the script's one-line reason on failure. */
  sh(...args: string[]): Promise<ShResult>;
  kill(c: Component): Promise<ShResult>;
  stop(c: Component): Promise<ShResult>;
  /** start starts a stopped component again; readyAtMs: when it answered its readiness check (epoch ms). */
  start(c: Component): Promise<ShResult & { readyAtMs: number; restarted: string[] }>;
  restart(c: Component): Promise<ShResult & { readyAtMs: number; restarted: string[] }>;
  freeze(c: Component): Promise<ShResult>;
  /** thaw: SIGCONT; for etcd and kube-apiserver it also waits until they are ready and the cluster runs pods. */
  thaw(c: Component): Promise<ShResult & { restarted: string[] }>;
  /** compact compacts etcd at its current revision and returns that revision. */
  compact(): Promise<number>;
  /** pid of the component's process as recorded by cluster.sh (undefined when it is not running). */
  pid(c: Component): number | undefined;
  /** log: the component's log so far. */
  log(c: Component): string;
  down(): Promise<void>;
}

function runScript(dir: string, args: string[], env: Record<string, string> = {}): Promise<ShResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      env: { ...process.env, ...env, CLUSTER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const r = { stdout, stderr, ms: Date.now() - started };
      if (code === 0) resolve(r);
      else reject(new Error(`cluster.sh ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`));
    });
  });
}

const readyAt = (r: ShResult) => Number(/ready_at_ms=(\d+)/.exec(r.stdout)?.[1] ?? Date.now());
const restartedBy = (r: ShResult) => [...r.stdout.matchAll(/^restarted=(\S+)$/gm)].map((m) => m[1]!);

/** startControlPlane runs `cluster.sh up` in a folder of its own. apiserverArgs are extra kube-apiserver flags. */
export async function startControlPlane(name: string, opts: { apiserverArgs?: string[] } = {}): Promise<ControlPlane> {
  const runPid = inject('testRunPid' as never) as unknown as number | undefined;
  const dir = join(repo, '.cluster-test', `run-${runPid ?? process.ppid}-${name}`);
  const bin = (inject('clusterBin' as never) as unknown as string | undefined) || undefined;
  const env: Record<string, string> = {
    ...(bin ? { CLUSTER_BIN: bin } : {}),
    CLUSTER_APISERVER_ARGS: (opts.apiserverArgs ?? []).join(' '),
  };
  await runScript(dir, ['up'], env);
  const ports = readFileSync(join(dir, 'ports'), 'utf8');
  const apiPort = Number(/api_port=(\d+)/.exec(ports)?.[1]);
  const sh = (...args: string[]) => runScript(dir, args);
  return {
    dir,
    kubeconfig: join(dir, 'kubeconfig'),
    apiPort,
    sh,
    kill: (c) => sh('kill', c),
    stop: (c) => sh('stop', c),
    start: async (c) => {
      const r = await sh('start', c);
      return { ...r, readyAtMs: readyAt(r), restarted: restartedBy(r) };
    },
    restart: async (c) => {
      const r = await sh('restart', c);
      return { ...r, readyAtMs: readyAt(r), restarted: restartedBy(r) };
    },
    freeze: (c) => sh('freeze', c),
    thaw: async (c) => {
      const r = await sh('thaw', c);
      return { ...r, restarted: restartedBy(r) };
    },
    async compact() {
      const r = await sh('compact');
      return Number(/compacted_revision=(\d+)/.exec(r.stdout)?.[1]);
    },
    pid(c) {
      try {
        return Number(readFileSync(join(dir, 'pids', `${c}.pid`), 'utf8').split(' ')[0]);
      } catch {
        return undefined;
      }
    },
    log: (c) => readFileSync(join(dir, 'logs', `${c}.log`), 'utf8'),
    async down() {
      await runScript(dir, ['down'], { CLUSTER_KEEP_LOGS: '1' });
    },
  };
}

/**
 * useControlPlane starts a control plane of the file's own in beforeAll and stops it in afterAll (keeping its logs in
 * its folder). Register it before useOperatorNamespace, whose kubeconfig option then reads `plane.kubeconfig`.
 */
export function useControlPlane(name: string, opts: { apiserverArgs?: string[] } = {}): { current: ControlPlane } {
  const holder = { current: undefined as unknown as ControlPlane };
  beforeAll(async () => {
    holder.current = await startControlPlane(name, opts);
  }, 120_000);
  afterAll(async () => {
    await holder.current?.down();
  }, 60_000);
  return holder;
}

/** kubeconfigVia writes a copy of a kubeconfig whose server is https://127.0.0.1:<port> (e.g. a TcpProxy's). */
export function kubeconfigVia(kubeconfig: string, port: number, file: string): string {
  const text = readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
