// Micro-benchmarks for the pure scheduling domain: `make bench` (npx tsx bench/run.ts).
// Each benchmark is calibrated so one sample takes about SAMPLE_MS, then sampled SAMPLES times; the table
// shows the median (the machine is shared and noisy, so the median of many samples, not the mean) and the
// spread (min-max of the per-sample ns/op). Nothing here is asserted: timings are for reading, not for CI.
import type { Schedule } from '../src/api/schedule.js';
import type { CronJob, Job } from '../src/types/kube.js';
import { nextRuns } from '../src/schedule/next.js';
import { computeStatus } from '../src/schedule/status.js';
import { validateSpec } from '../src/schedule/validate.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 60);
const FROM = new Date('2026-03-01T10:17:23Z');

interface Result {
  name: string;
  medianNs: number;
  minNs: number;
  maxNs: number;
}

function bench(name: string, op: () => unknown, opsPerCall = 1): Result {
  for (let i = 0; i < 20; i++) op(); // warm caches and the JIT
  let calls = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) op();
    if (performance.now() - t >= SAMPLE_MS / 4 || calls > 1e7) break;
    calls *= 2;
  }
  calls = Math.max(1, Math.round(calls * 4 * (SAMPLE_MS / 4 / Math.max(1, measure(op, calls)))));
  const perOp: number[] = [];
  for (let s = 0; s < SAMPLES; s++) perOp.push((measure(op, calls) * 1e6) / (calls * opsPerCall));
  perOp.sort((a, b) => a - b);
  const mid = perOp.length >> 1;
  const medianNs = perOp.length % 2 ? perOp[mid]! : (perOp[mid - 1]! + perOp[mid]!) / 2;
  return { name, medianNs, minNs: perOp[0]!, maxNs: perOp[perOp.length - 1]! };
}

function measure(op: () => unknown, calls: number): number {
  const t = performance.now();
  for (let i = 0; i < calls; i++) op();
  return performance.now() - t;
}

// --- nextRuns: 5 runs, several expressions and zones ------------------------------------------------
const NEXT_CASES: Array<[string, string]> = [
  ['*/15 * * * *', 'UTC'],
  ['30 2 * * *', 'Europe/Berlin'],
  ['0 9 * * 1-5', 'America/New_York'],
  ['15 2 * * *', 'Australia/Lord_Howe'],
  ['0 0 1 * *', 'America/Sao_Paulo'],
  ['0 0 29 2 *', 'UTC'],
];

// --- validateSpec: the forms a fleet uses ---------------------------------------------------------------
const jobTemplate = { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } };
const SPECS: unknown[] = [
  { schedule: '30 2 * * *', timeZone: 'Europe/Berlin', jobTemplate },
  { schedule: '*/5 9-17 * * MON-FRI', timeZone: 'America/New_York', jobTemplate },
  { preset: { frequency: 'weekdays', at: '18:45' }, timeZone: 'Asia/Kolkata', jobTemplate },
  { interval: '15m', jobTemplate },
  { schedule: '0 0 * * 7', timeZone: 'europe/berlin', jobTemplate }, // invalid: two errors
];

// --- computeStatus over 1,000 Schedules -----------------------------------------------------------------
const FLEET = Array.from({ length: 1000 }, (_, i) => fleetMember(i));

function fleetMember(i: number): Parameters<typeof computeStatus>[0] {
  const spec = SPECS[i % 4]!;
  const name = `s-${i}`;
  const schedule: Schedule = {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name, namespace: 'bench', uid: `u-${i}`, generation: 2 },
    spec,
  };
  const validation = validateSpec(spec);
  const cronJob: CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'bench', uid: `cj-${i}` },
    spec: { schedule: validation.ok ? validation.effectiveSchedule : '* * * * *', timeZone: 'UTC', jobTemplate: { spec: {} } },
    status: { lastScheduleTime: '2026-03-01T10:00:00Z' },
  };
  const jobs: Job[] = [0, 1, 2].map((k) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${name}-${k}`,
      namespace: 'bench',
      uid: `j-${i}-${k}`,
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': `2026-03-01T0${7 + k}:00:00Z` },
    },
    status: {
      startTime: `2026-03-01T0${7 + k}:00:01Z`,
      ...(k < 2 ? { completionTime: `2026-03-01T0${7 + k}:00:09Z` } : {}),
      conditions:
        k < 2
          ? [
              {
                type: k === 0 ? 'Failed' : 'Complete',
                status: 'True',
                reason: k === 0 ? 'BackoffLimitExceeded' : 'Completed',
                message: '',
                lastTransitionTime: `2026-03-01T0${7 + k}:00:09Z`,
              },
            ]
          : [],
    },
  }));
  return { schedule, validation, cronJob, jobs, now: FROM };
}

const results: Result[] = [];
for (const [cron, zone] of NEXT_CASES) results.push(bench(`nextRuns x5  ${cron.padEnd(14)} ${zone}`, () => nextRuns(cron, zone, FROM, 5)));
let v = 0;
results.push(bench('validateSpec (5 specs, round robin)', () => validateSpec(SPECS[v++ % SPECS.length])));
results.push(bench('validateSpec minIntervalMinutes=10', () => validateSpec(SPECS[v++ % SPECS.length], { minIntervalMinutes: 10 })));
results.push(bench('computeStatus, 1,000 Schedules (per Schedule)', () => FLEET.forEach((input) => computeStatus(input)), FLEET.length));

const fmt = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
const width = Math.max(...results.map((r) => r.name.length));
console.log(`Node ${process.version}, ${SAMPLES} samples of ~${SAMPLE_MS} ms each; median and (min-max) per op\n`);
console.log(`${'benchmark'.padEnd(width)}  ${'median ns/op'.padStart(13)}  ${'ops/s'.padStart(11)}  spread`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(width)}  ${r.medianNs.toFixed(0).padStart(13)}  ${Math.round(1e9 / r.medianNs)
      .toLocaleString('en-US')
      .padStart(11)}  ${fmt(r.minNs)} - ${fmt(r.maxNs)}`,
  );
}
