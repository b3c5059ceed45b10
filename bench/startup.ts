// Start-up benchmark: how long the commands take from exec until they are useful, median of --runs runs.
//
//   npx tsx bench/startup.ts [--runs 5] [--operator DIR]                       (next only)
//   KUBECONFIG=.cluster/kubeconfig npx tsx bench/startup.ts [--runs 5] [--schedules 1000] [--operator DIR]
//
//   node        `node -e` printing one line: the floor any Node command pays
//   next        exec -> first byte on stdout of `schedule-operator next "30 2 * * *"` (no cluster), and its exit
//   run         exec -> first output of `schedule-operator run <name> -n <ns>` (a PATCH through the API server)
//   controller  exec -> /readyz answering 200 (caches synced; leader election off) in a namespace holding
//               --schedules Schedules (default 0), and RSS then
// Needs `make build` in --operator DIR (default: this checkout). Prints one JSON object.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CRD_FILE } from '../src/api/crd-file.js';
import { eventually, schedulesPath, testKube } from '../test/support/kube.js';
import { freePort } from '../test/support/operator.js';
import { flag, median } from './stats.js';

const RUNS = Number(flag('runs') ?? 5);
const SCHEDULES = Number(flag('schedules') ?? 0);
const BIN = join(resolve(flag('operator') ?? '.'), 'bin/schedule-operator');
const kubeconfig = process.env.KUBECONFIG;

const roundedMedian = (xs: number[]) => Math.round(median(xs));

/** timeToOutput runs a command and resolves with ms to its first stdout byte and to its exit. */
function timeToOutput(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ firstOutputMs: number; exitMs: number; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    let first: number | undefined;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const mark = () => (first ??= performance.now() - t0);
    child.stdout.on('data', mark);
    child.stderr.on('data', mark);
    child.on('error', reject);
    child.on('exit', (code) =>
      resolvePromise({ firstOutputMs: Math.round(first ?? performance.now() - t0), exitMs: Math.round(performance.now() - t0), code }),
    );
  });
}

async function series(what: string, args: string[], env?: NodeJS.ProcessEnv) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeToOutput(args, env);
    if (r.code !== 0) throw new Error(`${what} exited with ${r.code}`);
    runs.push(r);
  }
  return {
    firstOutputMs: roundedMedian(runs.map((r) => r.firstOutputMs)),
    exitMs: roundedMedian(runs.map((r) => r.exitMs)),
    runs: runs.map((r) => r.firstOutputMs),
  };
}

/** controllerToReady starts the controller and resolves with ms until /readyz says 200, and its RSS then. */
async function controllerToReady(ns: string): Promise<{ readyMs: number; rssMiB: number }> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'controller',
      `--watch-namespaces=${ns}`,
      '--leader-elect=false',
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${healthPort}`,
    ],
    {
      env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the controller exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - t0 > 120_000) throw new Error('the controller did not get ready in 120 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = Math.round(performance.now() - t0);
    const rss = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return { readyMs, rssMiB: Math.round(Number(rss?.[1] ?? 0) / 1024) };
  } finally {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main() {
  const out: Record<string, unknown> = { runs: RUNS };
  out.node = await series('node', ['-e', 'console.log(1)']);
  out.next = await series('next', [BIN, 'next', '30 2 * * *']);
  if (kubeconfig) {
    const kube = testKube(kubeconfig);
    const crd = parse(readFileSync(CRD_FILE, 'utf8'));
    await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'schedule-operator-bench');
    const ns = `startup-${randomBytes(3).toString('hex')}`;
    await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    try {
      const schedule = (name: string, i: number) => ({
        apiVersion: 'schedule-operator.io/v1alpha1',
        kind: 'Schedule',
        metadata: { name, namespace: ns },
        spec: {
          schedule: `${i % 60} ${Math.floor(i / 60) % 24} 1 1 *`,
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } } },
        },
      });
      await eventually('the Schedule CRD', async () => (await kube.create(schedulesPath(ns), schedule('target', 0)), true), 30_000, 500);
      out.run = await series('run', [BIN, 'run', 'target', '-n', ns], { ...process.env, KUBECONFIG: kubeconfig });
      const names = Array.from({ length: SCHEDULES }, (_, i) => `s-${i}`);
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < names.length) {
            const i = next++;
            await kube.create(schedulesPath(ns), schedule(names[i]!, i));
          }
        }),
      );
      const ctl = [];
      for (let i = 0; i < RUNS; i++) ctl.push(await controllerToReady(ns));
      out.controller = {
        schedules: SCHEDULES + 1,
        readyMs: roundedMedian(ctl.map((c) => c.readyMs)),
        rssMiB: roundedMedian(ctl.map((c) => c.rssMiB)),
        runs: ctl.map((c) => c.readyMs),
      };
    } finally {
      await kube.remove(`/api/v1/namespaces/${ns}`);
    }
  }
  console.log(JSON.stringify(out));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/startup.ts: ${(err as Error).message}`);
    process.exit(1);
  },
);
