// Fleet benchmark: the operator (./bin/schedule-operator, from `make build`) against a real control plane.
//
//   KUBECONFIG=.cluster/kubeconfig npx tsx bench/fleet.ts [--count 1000] [--idle-seconds 60] [--resync 20s]
//
// Measures: apply -> Ready latency of single Schedules; API writes per created Schedule; time until a
// fleet of --count Schedules is Ready; then, idle, the operator's CPU (from /proc/<pid>/stat) and RSS over
// --idle-seconds, with the resync period (--resync) at 20 s by default so several no-op resyncs of the whole fleet fall inside
// the window (their API writes are reported too; the rule is zero). Prints one JSON object.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { CRD_FILE } from '../src/api/crd-file.js';
import { eventually, schedulesPath, testKube } from '../test/support/kube.js';
import { startOperator } from '../test/support/operator.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const COUNT = arg('count', 1000);
const IDLE_S = arg('idle-seconds', 60);
const i = process.argv.indexOf('--resync');
const RESYNC = i >= 0 ? process.argv[i + 1]! : '20s';
const kubeconfig: string = process.env.KUBECONFIG ?? '';
if (!kubeconfig) throw new Error('set KUBECONFIG to the cluster (e.g. .cluster/kubeconfig after make cluster-up)');

const kube = testKube(kubeconfig);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(ns: string, name: string, minute: number) {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name, namespace: ns },
    spec: {
      // Once a year on 1 January: no run falls inside the measurement, so every idle write would be a no-op
      // write (the rule is none). Runs are measured by the integration tests, not here.
      schedule: `${minute % 60} ${minute % 24} 1 1 *`,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } } } },
    },
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function readyCount(ns: string): Promise<number> {
  const list = await kube.get(schedulesPath(ns));
  return list.items.filter((s: any) => s.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
}

const CLK_TCK = 100; // Linux USER_HZ
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
}
function rssMiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

async function main() {
  const crd = parse(readFileSync(CRD_FILE, 'utf8'));
  await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'schedule-operator-bench');
  await eventually('the CRD to be Established', async () => {
    const got = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    return got?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
  });
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const op = await startOperator({
    kubeconfig,
    args: [`--watch-namespaces=${ns}`, '--leader-elect=false', `--resync-period=${RESYNC}`],
    env: { LOG_LEVEL: 'info' },
  });
  try {
    await op.waitReady();
    const pid = op.child.pid!;

    // 1. apply -> Ready for single Schedules, one at a time.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `single-${i}`;
      const t0 = Date.now();
      await kube.apply(schedulesPath(ns, name), manifest(ns, name, i));
      await eventually(`${name} Ready`, async () => (await readyCount(ns)) === i + 1, 30_000, 20);
      latencies.push(Date.now() - t0);
    }
    await sleep(2000);

    // 2. the fleet: writes per create and time to all Ready.
    const writes0 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');
    const names = Array.from({ length: COUNT }, (_, i) => `fleet-${i}`);
    const t0 = Date.now();
    await pool(names, 16, async (name) => void (await kube.apply(schedulesPath(ns, name), manifest(ns, name, Number(name.slice(6))))));
    const appliedMs = Date.now() - t0;
    await eventually('the whole fleet Ready', async () => (await readyCount(ns)) === COUNT + 5, 600_000, 1000);
    const fleetReadyMs = Date.now() - t0;
    await sleep(3000);
    const writes1 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');

    // 3. idle: CPU and RSS, with several whole-fleet resyncs in the window.
    const reconciles0 = await metric(op.metricsUrl, 'controller_runtime_reconcile_total');
    const c0 = cpuTicks(pid);
    const rss: number[] = [];
    for (let s = 0; s < IDLE_S; s += 5) {
      await sleep(5000);
      rss.push(rssMiB(pid));
    }
    const c1 = cpuTicks(pid);
    const heapMiB = Math.round((await metric(op.metricsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20);
    const writes2 = await metric(op.metricsUrl, 'schedule_operator_api_writes_total');
    const reconciles1 = await metric(op.metricsUrl, 'controller_runtime_reconcile_total');

    console.log(
      JSON.stringify(
        {
          schedules: COUNT + 5,
          applyToReadyMs: latencies,
          writesPerCreate: Number(((writes1 - writes0) / COUNT).toFixed(2)),
          fleetAppliedMs: appliedMs,
          fleetReadyMs,
          idle: {
            seconds: IDLE_S,
            resyncPeriod: RESYNC,
            cpuPercentOfOneCore: Number((((c1 - c0) / CLK_TCK / IDLE_S) * 100).toFixed(2)),
            rssMiB: { min: Math.min(...rss), max: Math.max(...rss) },
            heapUsedMiB: heapMiB,
            reconciles: reconciles1 - reconciles0,
            apiWrites: writes2 - writes1,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await op.stop();
    await kube.remove(`/api/v1/namespaces/${ns}`);
  }
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
});
