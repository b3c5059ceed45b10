// Fleet benchmark: the operator (./bin/schedule-operator, from `make build`) against a real control plane.
//
//   KUBECONFIG=.cluster/kubeconfig npx tsx bench/fleet.ts [--count 1000[,5000,10000]] [--idle-seconds 30]
//       [--resync 20s] [--operator DIR] [--cpu-profile DIR] [--heap-snapshot DIR]
//
// Each point of --count gets a fresh namespace and a fresh operator (leader election off, watching only that
// namespace, its default resync unless --resync). It measures:
//   startToReadyzMs     exec -> /readyz (caches synced, empty namespace); `empty`: its RSS then (anonymous and
//                       file-backed, i.e. the node binary's pages)
//   applyToReadyMs      5 single Schedules, one at a time (first point only)
//   fleet               N Schedules created 16 at a time (POST); time from the
//                       first create until a watch has seen all N Ready=True; the operator's CPU seconds and API
//                       writes per Schedule (its schedule_operator_api_writes_total) until then; RSS right after,
//                       and its peak (VmHWM) so far
//   idle                over --idle-seconds after convergence: CPU in % of one core, RSS (and its anonymous and
//                       file-backed parts), V8 heap used and total, reconciles and
//                       writes (the rule for writes is zero)
// With several points it prints the slope of the convergence time (ms per Schedule, least squares).
// --cpu-profile DIR: the operator runs with --cpu-prof; the samples inside the convergence window and inside the idle
//                    window are summarised by function and by module.
// --heap-snapshot DIR: after the idle window the operator writes a heap snapshot, summarised by constructor.
// Prints one JSON object per point, then a summary line.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { eventually, schedulesPath } from '../test/support/kube.js';
import { startOperator } from '../test/support/operator.js';
import { summariseHeapSnapshot } from './heap-summary.js';
import { summariseCpuProfile } from './cpu-summary.js';
import {
  applyCrd,
  cpuSeconds,
  kube,
  kubeconfig,
  manifest,
  metric,
  pool,
  readyWatch,
  removeNamespace,
  sleep,
  statusMiB,
} from './support.js';
import { flag } from './stats.js';

const COUNTS = (flag('count') ?? '1000').split(',').map(Number);
const IDLE_S = Number(flag('idle-seconds') ?? 30);
const RESYNC = flag('resync');
const OPERATOR_DIR = resolve(flag('operator') ?? '.');
const CPU_PROFILE = flag('cpu-profile');
const HEAP_SNAPSHOT = flag('heap-snapshot');

async function point(count: number, first: boolean): Promise<Record<string, unknown>> {
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const nodeOptions = [
    ...(CPU_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${resolve(CPU_PROFILE)}`] : []),
    ...(HEAP_SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${resolve(HEAP_SNAPSHOT)}`] : []),
  ];
  for (const dir of [CPU_PROFILE, HEAP_SNAPSHOT]) if (dir) mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const op = await startOperator({
    kubeconfig,
    bin: join(OPERATOR_DIR, 'bin/schedule-operator'),
    args: [`--watch-namespaces=${ns}`, '--leader-elect=false', ...(RESYNC ? [`--resync-period=${RESYNC}`] : [])],
    env: { LOG_LEVEL: 'info', ...(nodeOptions.length ? { NODE_OPTIONS: nodeOptions.join(' ') } : {}) },
  });
  const watch = readyWatch(ns);
  try {
    await op.waitReady(60_000);
    const startToReadyzMs = Math.round(performance.now() - t0);
    const pid = op.child.pid!;
    await eventually('the bench watch to sync', async () => watch.synced());

    // RSS of the empty operator (caches synced, nothing to reconcile): what the fleet's numbers start from.
    const empty = { rssMiB: statusMiB(pid, 'VmRSS'), anonMiB: statusMiB(pid, 'RssAnon'), fileMiB: statusMiB(pid, 'RssFile') };
    const out: Record<string, unknown> = { schedules: count, startToReadyzMs, empty };
    // 1. apply -> Ready for single Schedules, one at a time.
    const singles = first ? 5 : 0;
    if (singles) {
      const latencies: number[] = [];
      for (let i = 0; i < singles; i++) {
        const name = `single-${i}`;
        const t = performance.now();
        await kube.create(schedulesPath(ns), manifest(ns, name, i));
        await eventually(`${name} Ready`, async () => watch.ready.has(name), 30_000, 5);
        latencies.push(Math.round(performance.now() - t));
      }
      out.applyToReadyMs = latencies;
      await sleep(2000);
    }

    // 2. the fleet.
    const writes0 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');
    const cpu0 = cpuSeconds(pid);
    const names = Array.from({ length: count }, (_, i) => `fleet-${i}`);
    const tCreate = performance.now();
    const convergeFrom = process.hrtime.bigint();
    await pool(names, 16, async (name) => void (await kube.create(schedulesPath(ns), manifest(ns, name, Number(name.slice(6))))));
    const createsMs = Math.round(performance.now() - tCreate);
    await eventually('the whole fleet Ready', async () => watch.ready.size === count + singles, 1_800_000, 100);
    const readyMs = Math.round(performance.now() - tCreate);
    const convergeTo = process.hrtime.bigint();
    const cpuToReady = cpuSeconds(pid) - cpu0;
    const rssAtReady = statusMiB(pid, 'VmRSS');
    const peakRss = statusMiB(pid, 'VmHWM');
    await sleep(5000); // asynchronous Events land
    const writes1 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');
    await watch.stop();

    // 3. idle.
    const reconciles0 = await metric(op.metricsUrl, 'controller_runtime_reconcile_total');
    const idleFrom = process.hrtime.bigint();
    const c0 = cpuSeconds(pid);
    await sleep(IDLE_S * 1000);
    const c1 = cpuSeconds(pid);
    const idleTo = process.hrtime.bigint();
    const rssAfterIdle = statusMiB(pid, 'VmRSS');
    const anonAfterIdle = statusMiB(pid, 'RssAnon');
    const fileAfterIdle = statusMiB(pid, 'RssFile');
    const heapTotalMiB = Math.round((await metric(op.metricsUrl, 'nodejs_heap_size_total_bytes')) / 2 ** 20);
    const heapUsedMiB = Math.round((await metric(op.metricsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20);
    const writes2 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');
    const reconciles1 = await metric(op.metricsUrl, 'controller_runtime_reconcile_total');

    Object.assign(out, {
      fleet: {
        createsMs,
        readyMs,
        cpuSecondsToReady: Number(cpuToReady.toFixed(2)),
        writesPerSchedule: Number(((writes1 - writes0) / count).toFixed(2)),
        rssMiBAtReady: rssAtReady,
        peakRssMiB: peakRss,
      },
      idle: {
        seconds: IDLE_S,
        resyncPeriod: RESYNC ?? 'default',
        cpuPercentOfOneCore: Number((((c1 - c0) / IDLE_S) * 100).toFixed(3)),
        rssMiB: rssAfterIdle,
        anonMiB: anonAfterIdle,
        fileMiB: fileAfterIdle,
        heapUsedMiB,
        heapTotalMiB,
        reconciles: reconciles1 - reconciles0,
        apiWrites: writes2 - writes1,
      },
    });

    if (HEAP_SNAPSHOT) {
      const before = new Set(readdirSync(HEAP_SNAPSHOT));
      op.child.kill('SIGUSR2');
      const file = await eventually(
        'the heap snapshot',
        async () => {
          const f = readdirSync(HEAP_SNAPSHOT).find((x) => x.endsWith('.heapsnapshot') && !before.has(x));
          if (!f) return undefined;
          const size = () => statSync(join(HEAP_SNAPSHOT, f)).size;
          const a = size();
          await sleep(2000);
          return a > 0 && a === size() ? f : undefined; // written completely
        },
        300_000,
        1000,
      );
      out.heap = summariseHeapSnapshot(join(HEAP_SNAPSHOT, file), 15);
    }
    const exited = op.stop();
    await exited;
    if (CPU_PROFILE) {
      const profiles = readdirSync(CPU_PROFILE)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(CPU_PROFILE, f));
      const latest = profiles.sort().at(-1);
      if (latest) {
        out.convergenceCpuProfile = summariseCpuProfile(latest, convergeFrom, convergeTo, 25);
        out.idleCpuProfile = summariseCpuProfile(latest, idleFrom, idleTo, 15);
      }
    }
    return out;
  } finally {
    await watch.stop().catch(() => undefined);
    await op.stop();
    await removeNamespace(ns);
  }
}

/** slope is the least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return num / den;
}

async function main() {
  await applyCrd();
  const results: Array<Record<string, any>> = [];
  for (const [i, count] of COUNTS.entries()) {
    const r = await point(count, i === 0);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  if (results.length > 1) {
    const s = slope(
      results.map((r) => r.schedules),
      results.map((r) => r.fleet.readyMs),
    );
    console.log(
      JSON.stringify({ convergenceSlopeMsPerSchedule: Number(s.toFixed(2)), points: results.map((r) => [r.schedules, r.fleet.readyMs]) }),
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  },
);
