// Completion benchmark: how soon a finished Job is counted in its Schedule's status when many finish together.
//
//   KUBECONFIG=.cluster/kubeconfig npx tsx bench/completion.ts [--schedules 100] [--rounds 3] [--operator DIR]
//
// A fresh namespace with the ledger finalizer policy (as the chart installs it) and a fresh operator (./bin/
// schedule-operator after `make build`, leader election off, watching only that namespace). N Schedules are created
// and Ready; then, in each round, all N get a run-now at once, so N Jobs finish within about a second (the spread
// is reported). For each Schedule the latency is from the moment the bench's Job watch sees its Job finish to the
// moment the bench's Schedule watch sees status.runs.total count it. Per round: p50, p99 and max, the spread of the
// finish times, and the operator's API writes per finished run by verb and resource (its
// schedule_operator_api_writes_total, from the run requests until 2 s after the last count). Then the medians over
// the rounds. Timings are for reading, not asserted: the machine is shared.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Schedule } from '../src/api/schedule.js';
import type { Job } from '../src/types/kube.js';
import { eventually, schedulesPath } from '../test/support/kube.js';
import { installLedgerPolicy } from '../test/support/ledger-policy.js';
import { startOperator } from '../test/support/operator.js';
import {
  applyCrd,
  flag,
  JOBS,
  kube,
  kubeconfig,
  manifest,
  median,
  metricValues,
  percentile,
  pool,
  readyWatch,
  removeNamespace,
  SCHEDULES,
  sleep,
  watch,
} from './support.js';

const N = Number(flag('schedules') ?? 100);
const ROUNDS = Number(flag('rounds') ?? 3);
const OPERATOR_DIR = resolve(flag('operator') ?? '.');
const SCHEDULE_LABEL = 'schedule-operator.io/schedule';
const WRITES = 'schedule_operator_api_writes_total';

interface Round {
  round: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  finishSpreadMs: number;
  writesPerRun: Record<string, number>;
}

async function main() {
  await applyCrd();
  const ns = `bench-done-${randomBytes(3).toString('hex')}`;
  await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const removePolicy = await installLedgerPolicy(kube, ns);
  const op = await startOperator({
    kubeconfig,
    bin: join(OPERATOR_DIR, 'bin/schedule-operator'),
    args: [`--watch-namespaces=${ns}`, '--leader-elect=false'],
    env: { LOG_LEVEL: 'info' },
  });
  // What the watches saw in the current round: when each Schedule's Job finished, and when its status counted it.
  let round = 0;
  const finishedAt = new Map<string, number>();
  const countedAt = new Map<string, number>();
  const finishedJobs = new Set<string>();
  const jobs = watch<Job>(ns, JOBS, (job) => {
    const done = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const schedule = job.metadata.labels?.[SCHEDULE_LABEL];
    if (!done || !schedule || finishedJobs.has(job.metadata.uid!)) return;
    finishedJobs.add(job.metadata.uid!);
    finishedAt.set(schedule, Date.now());
  });
  const counts = watch<Schedule>(ns, SCHEDULES, (s) => {
    if ((s.status?.runs?.total ?? 0) >= round && round > 0 && !countedAt.has(s.metadata.name)) countedAt.set(s.metadata.name, Date.now());
  });
  const ready = readyWatch(ns);
  try {
    await op.waitReady(60_000);
    await eventually('the bench watches to sync', async () => jobs.synced() && counts.synced() && ready.synced());
    const names = Array.from({ length: N }, (_, i) => `done-${i}`);
    await pool([...names.entries()], 16, async ([i, name]) => void (await kube.create(schedulesPath(ns), manifest(ns, name, i))));
    await eventually(`${N} Schedules Ready`, async () => ready.ready.size === N, 300_000, 200);

    const rounds: Round[] = [];
    for (round = 1; round <= ROUNDS; round++) {
      finishedAt.clear();
      countedAt.clear();
      const before = await metricValues(op.metricsUrl, WRITES);
      const token = `bench-${round}-${randomBytes(3).toString('hex')}`;
      await Promise.all(
        names.map((name) =>
          kube.patch(schedulesPath(ns, name), { metadata: { annotations: { 'schedule-operator.io/run-requested-at': token } } }),
        ),
      );
      await eventually(`round ${round}: ${N} runs counted`, async () => countedAt.size === N && finishedAt.size === N, 300_000, 100);
      await sleep(2000);
      const after = await metricValues(op.metricsUrl, WRITES);
      const latencies = names.map((n) => countedAt.get(n)! - finishedAt.get(n)!);
      const finishes = [...finishedAt.values()];
      const writesPerRun: Record<string, number> = {};
      for (const [labels, v] of after) {
        const delta = v - (before.get(labels) ?? 0);
        const verb = labels.match(/verb="([^"]+)"/)?.[1];
        const resource = labels.match(/resource="([^"]+)"/)?.[1];
        if (delta > 0) writesPerRun[`${verb} ${resource}`] = Number((delta / N).toFixed(2));
      }
      const r: Round = {
        round,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: Math.max(...latencies),
        finishSpreadMs: Math.max(...finishes) - Math.min(...finishes),
        writesPerRun,
      };
      rounds.push(r);
      console.log(JSON.stringify(r));
    }
    console.log(
      JSON.stringify({
        schedules: N,
        rounds: ROUNDS,
        medianP50Ms: median(rounds.map((r) => r.p50Ms)),
        medianP99Ms: median(rounds.map((r) => r.p99Ms)),
        medianMaxMs: median(rounds.map((r) => r.maxMs)),
      }),
    );
  } finally {
    await Promise.all([jobs.stop(), counts.stop(), ready.stop()]).catch(() => undefined);
    // The operator takes its finalizers off the Jobs as the namespace goes, so it stops after the namespace is gone.
    await removeNamespace(ns);
    await op.stop();
    await removePolicy();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  },
);
