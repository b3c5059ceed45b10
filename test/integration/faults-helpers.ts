// Helpers of the fault tests (faults-*.test.ts): their set-up, the workloads before and after a fault, what the
// operator logged and counted, the Jobs the test itself sees, and the checks every fault ends with - new Schedules
// converge, runs counted exactly, no 409 loop, same process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { ControlPlane } from '../support/control-plane.js';
import { type OperatorNamespace, useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath, type TestKube } from '../support/kube.js';
import type { OperatorProcess } from '../support/operator.js';
import { applySchedule, jobFromCronJob, requestRun, waitCounted, waitReady } from './ledger-helpers.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The operator's flags in fault tests: one replica, no Lease (see the files' headers for why). */
export const SINGLE_REPLICA = ['--leader-elect=false'];

/**
 * useFaultNamespace: useOperatorNamespace on the file's own control plane, with the ledger policy and one operator
 * replica; the operator's log is kept beside the plane's logs. `operatorKubeconfig`: the operator's own (e.g. a proxy's).
 */
export function useFaultNamespace(
  plane: { current: ControlPlane },
  prefix: string,
  options: { operatorKubeconfig?: () => string } = {},
): OperatorNamespace {
  const env = useOperatorNamespace(prefix, {
    kubeconfig: () => plane.current.kubeconfig,
    ...options,
    ledgerPolicy: true,
    args: SINGLE_REPLICA,
  });
  afterAll(() => keepLogs(env.operator, plane.current.dir));
  return env;
}

export interface LogLine {
  level: number;
  time: number;
  msg: string;
  informer?: string;
  err?: string;
  key?: string;
  [k: string]: unknown;
}

export function logLines(op: OperatorProcess, sinceMs = 0): LogLine[] {
  const out: LogLine[] = [];
  for (const l of op.logs) {
    try {
      const j = JSON.parse(l) as LogLine;
      if (j.time >= sinceMs) out.push(j);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** statusWrites: the operator's successful status writes (its debug line 'status updated') since a time. */
export const statusWrites = (op: OperatorProcess, sinceMs = 0) => logLines(op, sinceMs).filter((l) => l.msg === 'status updated');

const CONFLICT = /\b409\b|Conflict|has been modified/i;
/** conflictRetries: reconciles that failed with 409 Conflict since a time. */
export const conflictRetries = (op: OperatorProcess, sinceMs = 0) =>
  logLines(op, sinceMs).filter((l) => l.msg === 'reconcile failed; retrying with backoff' && CONFLICT.test(String(l.err)));

/** relists: the informers that re-listed after 410 Gone since a time (informer names, e.g. jobs/<ns>). */
export const relists = (op: OperatorProcess, sinceMs = 0) =>
  logLines(op, sinceMs)
    .filter((l) => l.msg === 'watch expired (410 Gone); listing again')
    .map((l) => String(l.informer));

/** metric sums the samples of one metric whose labels include `labels`. */
export async function metric(op: OperatorProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(op.metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/** keepLogs writes the operator's log lines next to the control plane's logs (for a look after a failed run). */
export function keepLogs(op: OperatorProcess | undefined, dir: string): void {
  if (op) writeFileSync(join(dir, 'logs', 'operator.log'), `${op.logs.join('\n')}\n`);
}

/** running: the operator process is still the one started (same pid, never exited). */
export function expectSameProcess(op: OperatorProcess, pid: number | undefined): void {
  expect(op.child.pid, 'the operator process is the one the test started').toBe(pid);
  expect(op.child.exitCode, `the operator never exited:\n${op.logs.slice(-15).join('\n')}`).toBeNull();
  expect(op.child.signalCode).toBeNull();
  expect(() => process.kill(pid!, 0), 'the operator process is alive').not.toThrow();
}

export const DELAY_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/delay';
const HISTORY = { successfulJobsHistoryLimit: 100, failedJobsHistoryLimit: 100 };

/** schedule applies a Schedule that only runs when asked (run-now or test-made Jobs), keeping every Job for the truth. */
export async function schedule(kube: TestKube, ns: string, name: string): Promise<void> {
  await applySchedule(kube, ns, name, HISTORY);
}

/** startJob creates a Job of a Schedule as `kubectl create job --from=cronjob/...` does; `delay` makes its pod last. */
export async function startJob(kube: TestKube, ns: string, scheduleName: string, jobName: string, delay?: string): Promise<void> {
  const cj = await eventually(`CronJob ${scheduleName}`, () => kube.get(cronJobsPath(ns, scheduleName)));
  const job = jobFromCronJob(cj, jobName);
  if (delay) {
    const meta = (job.spec.template.metadata ??= {});
    meta.annotations = { ...(meta.annotations ?? {}), [DELAY_ANNOTATION]: delay };
  }
  await kube.create(jobsPath(ns), job);
}

/** jobTruth counts the Jobs of a Schedule as the API server has them: created, finished, still running. */
export async function jobTruth(
  kube: TestKube,
  ns: string,
  scheduleName: string,
): Promise<{ created: number; finished: number; succeeded: number; failed: number }> {
  const list = await kube.get(`${jobsPath(ns)}?labelSelector=${encodeURIComponent(`schedule-operator.io/schedule=${scheduleName}`)}`);
  const done = (j: any, type: string) => (j.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');
  const items = list?.items ?? [];
  const succeeded = items.filter((j: any) => done(j, 'Complete')).length;
  const failed = items.filter((j: any) => done(j, 'Failed')).length;
  return { created: items.length, finished: succeeded + failed, succeeded, failed };
}

/** waitAllFinished waits until every Job of the Schedule has finished (at least `min` of them). */
export async function waitAllFinished(kube: TestKube, ns: string, scheduleName: string, min: number, timeoutMs = 90_000) {
  return eventually(
    `all Jobs of ${scheduleName} (at least ${min}) to finish`,
    async () => {
      const t = await jobTruth(kube, ns, scheduleName);
      return t.created >= min && t.finished === t.created ? t : undefined;
    },
    timeoutMs,
    250,
  );
}

/** expectCountedExactly: status.runs equals the finished Jobs, and stays so over a resync. */
export async function expectCountedExactly(kube: TestKube, ns: string, scheduleName: string, min: number): Promise<string> {
  const truth = await waitAllFinished(kube, ns, scheduleName, min);
  const s = await eventually(
    `${scheduleName} to count ${truth.finished} runs`,
    async () => {
      const got = await kube.get(schedulesPath(ns, scheduleName));
      return got?.status?.runs?.total === truth.finished ? got : undefined;
    },
    60_000,
    200,
  );
  expect({ total: s.status.runs.total, succeeded: s.status.runs.succeeded, failed: s.status.runs.failed }).toEqual({
    total: truth.finished,
    succeeded: truth.succeeded,
    failed: truth.failed,
  });
  return `${scheduleName}: ${truth.finished} Jobs finished, status.runs ${JSON.stringify(s.status.runs)}`;
}

/**
 * expectSettled: after a fault the operator comes to rest - over a window longer than a resync, no status write and
 * no reconcile error. (A 409 loop that never ends shows here; one that ends is judged by no409Loop.)
 */
export async function expectSettled(env: OperatorNamespace, names: string[]): Promise<string> {
  const op = env.operator!;
  for (const name of names) await waitReady(env.kube, env.ns, name, 60_000);
  const writes = () => metric(op, 'schedule_operator_api_writes_total', { verb: 'update', resource: 'schedules/status' });
  const errors = () => metric(op, 'controller_runtime_reconcile_errors_total');
  let before = { w: -1, e: -1 };
  let after = { w: -2, e: -2 };
  // A write or two may still be on its way (a late Job, an Event); rest means a quiet window, within 40 s.
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    before = { w: await writes(), e: await errors() };
    await sleep(6_000); // longer than the 5 s resync the harness gives the operator
    after = { w: await writes(), e: await errors() };
    if (after.w === before.w && after.e === before.e) break;
  }
  expect(after, 'no status writes and no reconcile errors over a resync once settled').toEqual(before);
  return `settled: ${after.w} status writes, ${after.e} reconcile errors in total`;
}

/**
 * expectRecovered: the checks after a fault - each Schedule's runs counted exactly (at least `runs[name]` Jobs), the
 * operator settled, and it is still the process `pid`; returns what they found, a line each, for the report.
 */
export async function expectRecovered(env: OperatorNamespace, pid: number | undefined, runs: Record<string, number>): Promise<string[]> {
  const counted: string[] = [];
  for (const [name, min] of Object.entries(runs)) counted.push(await expectCountedExactly(env.kube, env.ns, name, min));
  const settled = await expectSettled(env, Object.keys(runs));
  expectSameProcess(env.operator!, pid);
  return [...counted, settled];
}

/** MAX_409_IN_A_ROW: a 409 and a retry that succeeds is optimistic concurrency at work; more in a row is a loop. */
export const MAX_409_IN_A_ROW = 2;

/**
 * conflictReport: the 409s since a time, and per Schedule the longest run of reconciles in a row that failed with 409
 * (the `failures` count the operator logs with each retry) - a retry that keeps writing from a stale cached object.
 */
export function conflictReport(op: OperatorProcess, sinceMs: number): { total: number; worst: number; text: string } {
  const lines = conflictRetries(op, sinceMs);
  // A run of 409s: retries of one key whose `failures` count goes up by one each time, every one of them a 409 (the
  // count also goes up for other errors, e.g. while the API server is down: those do not lengthen the run).
  const current = new Map<string, { n: number; failures: number; began: number }>();
  const worstByKey = new Map<string, { n: number; ms: number }>();
  for (const l of lines) {
    const key = String(l.key);
    const failures = Number(l.failures ?? 1);
    const prev = current.get(key);
    const run = prev && failures === prev.failures + 1 ? { n: prev.n + 1, failures, began: prev.began } : { n: 1, failures, began: l.time };
    current.set(key, run);
    const w = worstByKey.get(key);
    if (!w || run.n > w.n) worstByKey.set(key, { n: run.n, ms: l.time - run.began });
  }
  const worst = Math.max(0, ...[...worstByKey.values()].map((w) => w.n));
  const per = [...worstByKey.entries()].map(([k, w]) => `${k.split('/')[1]} ${w.n} in a row over ${w.ms} ms`);
  return {
    total: lines.length,
    worst,
    text: `409 retries since the fault: ${lines.length}${per.length ? ` (longest: ${per.join(', ')})` : ''}`,
  };
}

/** expectNo409Loop: no Schedule's status write failed with 409 more than MAX_409_IN_A_ROW times in a row. */
export function expectNo409Loop(op: OperatorProcess, sinceMs: number): void {
  const r = conflictReport(op, sinceMs);
  expect(
    r.worst,
    `${r.text}; more than ${MAX_409_IN_A_ROW} in a row is a 409 loop (status written from a stale cached Schedule)`,
  ).toBeLessThanOrEqual(MAX_409_IN_A_ROW);
}

/**
 * steadyWorkloadBeforeFault: Schedule "steady" Ready with one counted run-now, then two 12 s runs still going
 * when the fault starts (so runs finish across it).
 */
export async function steadyWorkloadBeforeFault(kube: TestKube, ns: string): Promise<void> {
  await schedule(kube, ns, 'steady');
  await waitReady(kube, ns, 'steady');
  await requestRun(kube, ns, 'steady', 'before-1');
  await waitCounted(kube, ns, 'steady', 1);
  await startJob(kube, ns, 'steady', 'steady-long-1', '12s');
  await startJob(kube, ns, 'steady', 'steady-long-2', '12s');
  await sleep(2_000);
}

/** workloadAfterFault: right after the fault, a new Schedule "after" with a run-now, two quick runs of "steady"; "after" Ready. */
export async function workloadAfterFault(kube: TestKube, ns: string): Promise<void> {
  await schedule(kube, ns, 'after');
  await requestRun(kube, ns, 'after', 'after-1');
  await startJob(kube, ns, 'steady', 'steady-quick-1');
  await startJob(kube, ns, 'steady', 'steady-quick-2');
  await waitReady(kube, ns, 'after', 90_000);
}
