// Completion benchmark: how soon a finished Job is counted in its Schedule's status when many finish at once.
//
//   KUBECONFIG=.cluster/kubeconfig npx tsx bench/completion.ts [--schedules 100] [--rounds 3] [--finish-after 30]
//       [--operator DIR]
//
// A fresh namespace with the ledger finalizer policy (as the chart installs it) and a fresh operator (./bin/
// schedule-operator after `make build`, leader election off, watching only that namespace); N Schedules, Ready.
// Each round:
//   1. every Schedule's pod template gets the test cluster's kwok annotation that completes the pod at one instant
//      (RFC3339, --finish-after seconds ahead; test/cluster/stages/pod-complete.yaml), and the bench waits until
//      every Schedule has reconciled that spec into its CronJob;
//   2. all N get a run-now at once; their Jobs start, and their pods are due to complete at that instant (a pod
//      that is Running only after it completes at once: the reported finish spread shows how close they came);
//   3. for each Schedule, the latency runs from the moment the bench's Job watch sees its Job finish to the moment
//      the bench's Schedule watch sees status.runs.total count it.
// Per round it prints p50, p99 and max of the latency, how far apart the Jobs finished (the Job controller marks
// them one by one), how long after the requests the last Job appeared, the failed passes, and the operator's API
// writes per run by verb and resource (schedule_operator_api_writes_total, from the run requests until 2 s after
// the last count). Then the medians over the rounds. Timings are for reading, not asserted: the machine is shared.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Schedule } from '../src/api/schedule.js';
import type { Job } from '../src/types/kube.js';
import { eventually, schedulesPath } from '../test/support/kube.js';
import { installLedgerPolicy } from '../test/support/ledger-policy.js';
import { startOperator } from '../test/support/operator.js';
import {
  applyCrd,
  JOBS,
  kube,
  kubeconfig,
  manifest,
  metric,
  metricValues,
  pool,
  removeNamespace,
  SCHEDULES,
  sleep,
  watch,
} from './support.js';
import { flag, median, percentile } from './stats.js';

const N = Number(flag('schedules') ?? 100);
const ROUNDS = Number(flag('rounds') ?? 3);
const FINISH_AFTER_S = Number(flag('finish-after') ?? 30);
const OPERATOR_DIR = resolve(flag('operator') ?? '.');
const SCHEDULE_LABEL = 'schedule-operator.io/schedule';
const COMPLETE_AT = 'pod-complete.stage.kwok.x-k8s.io/delay';
const WRITES = 'schedule_operator_api_writes_total';
const FAILED = 'controller_runtime_reconcile_errors_total';

interface Round {
  round: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  finishSpreadMs: number;
  lastJobSeenMs: number;
  failedPasses: number;
  writesPerRun: Record<string, number>;
}

/** completeAt reads the completion instant from a Schedule's pod template (its spec is typed unknown until validated). */
const completeAt = (s: Schedule): string | undefined =>
  (s.spec as { jobTemplate?: { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } })?.jobTemplate?.spec
    ?.template?.metadata?.annotations?.[COMPLETE_AT];
const isReady = (s: Schedule) => s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

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
  // What the watches saw: the newest copy of each Schedule, and in the current round when each Schedule's Job
  // appeared, when it finished, and when the status counted it.
  let round = 0;
  const schedules = new Map<string, Schedule>();
  const createdAt = new Map<string, number>();
  const finishedAt = new Map<string, number>();
  const countedAt = new Map<string, number>();
  const jobsOfEarlierRounds = new Set<string>();
  const jobsOfThisRound = new Set<string>();
  const jobs = watch<Job>(ns, JOBS, (job) => {
    const schedule = job.metadata.labels?.[SCHEDULE_LABEL];
    if (!schedule || round === 0 || jobsOfEarlierRounds.has(job.metadata.uid!)) return;
    jobsOfThisRound.add(job.metadata.uid!);
    if (!createdAt.has(schedule)) createdAt.set(schedule, Date.now());
    const done = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done && !finishedAt.has(schedule)) finishedAt.set(schedule, Date.now());
  });
  const scheduleWatch = watch<Schedule>(ns, SCHEDULES, (s) => {
    schedules.set(s.metadata.name, s);
    if (round > 0 && (s.status?.runs?.total ?? 0) >= round && !countedAt.has(s.metadata.name)) countedAt.set(s.metadata.name, Date.now());
  });
  const names = Array.from({ length: N }, (_, i) => `done-${i}`);
  const settled = (holds: (s: Schedule) => boolean) =>
    names.every((n) => {
      const s = schedules.get(n);
      return s !== undefined && isReady(s) && s.status?.observedGeneration === s.metadata.generation && holds(s);
    });
  try {
    await op.waitReady(60_000);
    await eventually('the bench watches to sync', async () => jobs.synced() && scheduleWatch.synced());
    await pool([...names.entries()], 16, async ([i, name]) => void (await kube.create(schedulesPath(ns), manifest(ns, name, i))));
    await eventually(`${N} Schedules Ready`, async () => settled(() => true), 300_000, 200);

    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      // 1. One completion instant for every pod of this round.
      const instant = new Date(Date.now() + FINISH_AFTER_S * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      await pool(names, 16, async (name) => {
        const template = { metadata: { annotations: { [COMPLETE_AT]: instant } } };
        await kube.patch(schedulesPath(ns, name), { spec: { jobTemplate: { spec: { template } } } });
      });
      await eventually(
        `round ${r}: every CronJob carries the completion instant`,
        async () => settled((s) => completeAt(s) === instant),
        120_000,
        200,
      );
      for (const uid of jobsOfThisRound) jobsOfEarlierRounds.add(uid);
      jobsOfThisRound.clear();
      createdAt.clear();
      finishedAt.clear();
      countedAt.clear();
      round = r;
      // 2. Run now, all at once.
      const before = await metricValues(op.metricsUrl, WRITES);
      const failed0 = await metric(op.metricsUrl, FAILED);
      const requested = Date.now();
      const token = `bench-${r}-${randomBytes(3).toString('hex')}`;
      await Promise.all(
        names.map((name) =>
          kube.patch(schedulesPath(ns, name), { metadata: { annotations: { 'schedule-operator.io/run-requested-at': token } } }),
        ),
      );
      // 3. Count.
      await eventually(`round ${r}: ${N} runs counted`, async () => countedAt.size === N && finishedAt.size === N, 300_000, 100);
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
      const result: Round = {
        round: r,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: Math.max(...latencies),
        finishSpreadMs: Math.max(...finishes) - Math.min(...finishes),
        lastJobSeenMs: Math.max(...createdAt.values()) - requested,
        failedPasses: (await metric(op.metricsUrl, FAILED)) - failed0,
        writesPerRun,
      };
      rounds.push(result);
      console.log(JSON.stringify(result));
    }
    console.log(
      JSON.stringify({
        schedules: N,
        rounds: ROUNDS,
        medianP50Ms: median(rounds.map((r) => r.p50Ms)),
        medianP99Ms: median(rounds.map((r) => r.p99Ms)),
        medianMaxMs: median(rounds.map((r) => r.maxMs)),
        medianFinishSpreadMs: median(rounds.map((r) => r.finishSpreadMs)),
      }),
    );
  } finally {
    await Promise.all([jobs.stop(), scheduleWatch.stop()]).catch(() => undefined);
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
