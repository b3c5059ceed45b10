// Reconcile one Schedule: a pipeline of named steps (style.md, principle 3). Read top to bottom:
//
//   1. validate      the spec, by the one rule book (validateSpec) the webhook and the CLI use too
//   2. applyCronJob  server-side apply of the desired CronJob, only when it differs from the observed one
//   3. guardJobs     the ledger finalizer on running Jobs, so none can vanish before it is counted
//   4. runNow        a new run-now token starts one Job (deterministic name) or is refused while a run is active;
//                    running manual Jobs are added to the CronJob's status.active, so its Forbid skips slots meanwhile
//   5. status        rebuild status from the CronJob and its Jobs, count newly finished Jobs (the ledger,
//                    docs/ledger.md), record the run request and pending callbacks; write only when it changed
//   6. releaseJobs   drop the ledger finalizer from Jobs being deleted that the written status records
//   7. callbacks     hand pending callbacks to the notifier (off the reconcile path)
//   8. schedule the next pass for just after the next run, so nextRunTime never goes stale
//
// Steps share a ReconcileState. Step 5 always runs (like flux's deferred summary), so observedGeneration
// and conditions describe even a pass that stopped early. Errors follow the catalogue in errors.ts.
import type { Logger } from 'pino';
import { CONDITION_READY, findCondition } from '../api/conditions.js';
import type { RunRequest, Schedule, ScheduleStatus } from '../api/schedule.js';
import { ErrorCode } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, isInvalid } from '../kube/rest.js';
import type { CronJob, EventRecord, Job } from '../types/kube.js';
import type { RunMetrics } from '../metrics-runs.js';
import type { Notifier } from '../notify/notifier.js';
import { nextNotifyStatus } from '../notify/pending.js';
import { cronJobNeedsApply, desiredCronJob } from '../schedule/desired.js';
import { applyLedger, FINALIZER_LEDGER, forget, ownedJobs, planLedger, strayJobsToRelease, uncountedFinished, type LedgerPlan } from '../schedule/ledger.js';
import { decideRunNow, manualRunsToAdopt, REASON_RUN_REFUSED, REASON_RUN_STARTED, runRequestStatus } from '../schedule/run-now.js';
import { computeStatus } from '../schedule/status.js';
import { validateSpec, type ValidationResult } from '../schedule/validate.js';

/** Observed is what the caches hold for one Schedule. */
export interface Observed {
  schedule: Schedule;
  cronJob: CronJob | undefined;
  jobs: Job[];
}

export interface ReconcileDeps {
  kube: KubeClient;
  now: () => Date;
  log: Logger;
  /** minIntervalMinutes is the cluster-wide minimum interval between runs (operator setting), if any. */
  minIntervalMinutes?: number | undefined;
  /** appliedGenerations remembers, per CronJob uid, the generation our last apply produced. */
  appliedGenerations: Map<string, number>;
  /** maxRequeueMs caps how long a pass waits before the next (the periodic resync also covers it). */
  maxRequeueMs: number;
  /** notifier delivers completion callbacks; without it pending callbacks wait in status. */
  notifier?: Notifier | undefined;
  /** notifyPollMs: while callbacks are outstanding, pass again this often to record results (when the notifier cannot enqueue). */
  notifyPollMs?: number | undefined;
  /** runMetrics counts runs when the ledger does. */
  runMetrics?: RunMetrics | undefined;
}

export interface ReconcileResult {
  /** requeueAfterMs asks for another pass after this delay. */
  requeueAfterMs?: number;
  /** writes counts the API writes this pass made (for logs, metrics and tests). */
  writes: number;
}

interface ReconcileState {
  observed: Observed;
  validation?: ValidationResult;
  cronJob: CronJob | undefined;
  applyError?: { reason: string; message: string };
  /** jobs are the Schedule's own Jobs: labelled for it and owned by its CronJob (ledger rule R7). */
  jobs: Job[];
  ledger?: LedgerPlan;
  runRequest?: RunRequest;
  status?: ScheduleStatus;
  writes: number;
}

/** reconcile runs the pipeline for one Schedule. It throws only for transient failures (retry with backoff). */
export async function reconcile(observed: Observed, deps: ReconcileDeps): Promise<ReconcileResult> {
  const state: ReconcileState = { observed, cronJob: observed.cronJob, jobs: [], writes: 0 };
  const log = deps.log.child({
    namespace: observed.schedule.metadata.namespace,
    name: observed.schedule.metadata.name,
    generation: observed.schedule.metadata.generation,
  });
  validate(state, deps);
  if (state.validation?.ok) await applyCronJob(state, deps, log);
  await guardJobs(state, deps);
  await runNow(state, deps, log);
  await adoptManualRuns(state, deps, log);
  await writeStatus(state, deps, log);
  await releaseJobs(state, deps);
  callbacks(state, deps);
  return { writes: state.writes, ...requeueForNextRun(state, deps) };
}

// 1. validate ------------------------------------------------------------------------------------
function validate(state: ReconcileState, deps: ReconcileDeps): void {
  state.validation = validateSpec(state.observed.schedule.spec, { minIntervalMinutes: deps.minIntervalMinutes });
}

// 2. applyCronJob ---------------------------------------------------------------------------------
async function applyCronJob(state: ReconcileState, deps: ReconcileDeps, log: Logger): Promise<void> {
  const validation = state.validation;
  if (!validation?.ok) return;
  const { metadata } = state.observed.schedule;
  const observed = state.observed.cronJob;
  if (observed && !ownedBy(observed, metadata.uid)) {
    // Never take over a CronJob someone else made: say so and wait (its deletion re-triggers us).
    state.cronJob = undefined;
    state.applyError = {
      reason: ErrorCode.CronJobNotOwned,
      message: `CronJob ${metadata.namespace}/${metadata.name} already exists and is not owned by this Schedule: delete that CronJob or give the Schedule another name`,
    };
    return;
  }
  const desired = desiredCronJob(metadata, validation.spec, validation.effectiveSchedule);
  const appliedGeneration = observed?.metadata.uid ? deps.appliedGenerations.get(observed.metadata.uid) : undefined;
  if (!cronJobNeedsApply(desired, observed, appliedGeneration)) return;
  try {
    const applied = await deps.kube.applyCronJob(desired);
    state.writes++;
    state.cronJob = applied;
    if (applied.metadata.uid && applied.metadata.generation !== undefined) {
      deps.appliedGenerations.set(applied.metadata.uid, applied.metadata.generation);
    }
    log.info({ cronJob: desired.metadata.name, created: !observed }, observed ? 'CronJob updated' : 'CronJob created');
  } catch (err) {
    if (isInvalid(err)) {
      // The API server refused the CronJob (most often a broken spec.jobTemplate): terminal until the spec changes.
      state.applyError = { reason: ErrorCode.CronJobRejected, message: `the API server rejected the CronJob: ${err.message}; fix spec.jobTemplate` };
      return;
    }
    throw err;
  }
}

function ownedBy(cronJob: CronJob, uid: string): boolean {
  return (cronJob.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);
}

// 3. guardJobs ------------------------------------------------------------------------------------
async function guardJobs(state: ReconcileState, deps: ReconcileDeps): Promise<void> {
  const { schedule } = state.observed;
  const owned = ownedJobs(state.observed.jobs, state.cronJob);
  // Ledger rule R8: count only Jobs the API server still has (the cache may lag behind status).
  const vanished = new Set<string>();
  for (const job of uncountedFinished(schedule.status, owned)) {
    const live = await deps.kube.getJob(schedule.metadata.namespace, job.metadata.name);
    if (!live || live.metadata.uid !== job.metadata.uid) vanished.add(job.metadata.uid!);
  }
  state.jobs = owned.filter((j) => !vanished.has(j.metadata.uid ?? ''));
  state.ledger = planLedger(schedule.status, state.jobs);
  for (const job of state.ledger.addFinalizer) {
    await deps.kube.addJobFinalizer(jobRef(job), FINALIZER_LEDGER);
    state.writes++;
  }
}

const jobRef = (job: Job) => ({ namespace: job.metadata.namespace ?? '', name: job.metadata.name, uid: job.metadata.uid });

// 4. runNow ---------------------------------------------------------------------------------------
async function runNow(state: ReconcileState, deps: ReconcileDeps, log: Logger): Promise<void> {
  const decision = decideRunNow({ schedule: state.observed.schedule, cronJob: state.cronJob, jobs: state.jobs });
  if (decision.action === 'none' || decision.action === 'wait') return;
  if (decision.action === 'create') {
    try {
      const created = await deps.kube.createJob(decision.job);
      state.writes++;
      state.jobs = [...state.jobs, created]; // shown as active in this pass's status write, not one write later
      log.info({ job: decision.job.metadata.name, token: decision.token }, 'run-now Job created');
    } catch (err) {
      if (!isAlreadyExists(err)) {
        if (isInvalid(err)) {
          state.runRequest = {
            ...runRequestStatus({ action: 'refuse', token: decision.token, reason: ErrorCode.CronJobRejected, message: '' }, deps.now()),
            message: `run request "${decision.token}" refused: the API server rejected the Job: ${err.message}`,
          };
          return;
        }
        throw err; // transient: the token stays unhandled and the retry uses the same Job name
      }
    }
  }
  state.runRequest = runRequestStatus(decision, deps.now());
}

/**
 * adoptManualRuns lists running manual Jobs in the CronJob's status.active (see src/schedule/run-now.ts).
 * Best effort: a failure (e.g. RBAC without cronjobs/status patch) is logged and leaves the rest of the pass alone.
 */
async function adoptManualRuns(state: ReconcileState, deps: ReconcileDeps, log: Logger): Promise<void> {
  const adopt = manualRunsToAdopt(state.cronJob, state.jobs);
  if (!state.cronJob || adopt.length === 0) return;
  try {
    if (await deps.kube.addActiveJobs(state.cronJob, adopt)) state.writes++;
  } catch (err) {
    log.warn({ err: (err as Error).message, jobs: adopt.map((j) => j.metadata.name) }, 'could not list manual runs in the CronJob status; scheduled runs may overlap them');
  }
}

// 5. status ---------------------------------------------------------------------------------------
async function writeStatus(state: ReconcileState, deps: ReconcileDeps, log: Logger): Promise<void> {
  const { schedule } = state.observed;
  const key = `${schedule.metadata.namespace}/${schedule.metadata.name}`;
  const validation = state.validation ?? validateSpec(schedule.spec, { minIntervalMinutes: deps.minIntervalMinutes });
  const plan = state.ledger ?? planLedger(schedule.status, state.jobs);
  const computed = computeStatus({ schedule, validation, cronJob: state.cronJob, jobs: state.jobs, now: deps.now(), applyError: state.applyError });
  let status = applyLedger(computed, plan.next);
  if (state.runRequest) {
    status.lastHandledRunRequest = state.runRequest.token;
    status.lastRunRequest = state.runRequest;
  }
  const report = deps.notifier?.report(key) ?? { delivered: [], lastError: undefined, busy: false };
  const notify = validation.ok ? nextNotifyStatus(schedule.status?.notify, validation.spec.notify, plan.counted, report) : schedule.status?.notify;
  if (notify && Object.keys(notify).length) status.notify = notify;
  else delete status.notify;
  state.status = status;
  if (sameJson(status, schedule.status ?? {})) return;

  // Ledger rule R6: forget recorded Jobs only when the API server (not the cache) says they are gone.
  const gone = new Set<string>();
  for (const c of plan.forgetIfGone) {
    const job = await deps.kube.getJob(schedule.metadata.namespace, c.name);
    if (!job || job.metadata.uid !== c.uid) gone.add(c.uid);
  }
  if (gone.size) status = applyLedger(status, forget(plan.next, gone));
  state.status = status;

  // Guarded by resourceVersion: a 409 throws, nothing was counted, the retry recomputes from fresh status.
  await deps.kube.updateScheduleStatus(schedule, status);
  state.writes++;
  log.debug({ observedGeneration: status.observedGeneration, counted: plan.counted.length }, 'status updated');
  if (plan.counted.length) deps.runMetrics?.counted(schedule.metadata.namespace, schedule.metadata.name, plan.counted);
  if (report.delivered.length) deps.notifier?.forget(key, report.delivered.map((d) => d.uid));
  await recordTransition(schedule, status, deps, log).then((wrote) => (state.writes += wrote));
  if (state.runRequest) await recordRunRequest(schedule, state.runRequest, deps, log).then((wrote) => (state.writes += wrote));
}

async function recordRunRequest(schedule: Schedule, request: RunRequest, deps: ReconcileDeps, log: Logger): Promise<number> {
  const started = request.outcome === 'Started';
  return tryRecordEvent(schedule, {
    type: started ? 'Normal' : 'Warning',
    reason: started ? REASON_RUN_STARTED : REASON_RUN_REFUSED,
    message: request.message ?? '',
    action: 'RunNow',
  }, deps, log);
}

/** recordTransition emits an Event when the Ready condition changed status or reason (transitions only). */
async function recordTransition(schedule: Schedule, status: ScheduleStatus, deps: ReconcileDeps, log: Logger): Promise<number> {
  const before = findCondition(schedule.status?.conditions, CONDITION_READY);
  const after = findCondition(status.conditions, CONDITION_READY);
  if (!after || (before?.status === after.status && before.reason === after.reason && before.message === after.message)) return 0;
  if (after.status === 'True' && before?.status === 'True') return 0; // a new next-run time is not news
  const warning = after.status !== 'True';
  return tryRecordEvent(schedule, {
    type: warning ? 'Warning' : 'Normal',
    reason: after.reason,
    message: after.message,
    action: warning ? 'Validate' : 'Reconcile',
  }, deps, log);
}

/** tryRecordEvent creates an Event; Events are for people, so a failure is logged, not retried. Returns the writes made. */
async function tryRecordEvent(schedule: Schedule, event: EventRecord, deps: ReconcileDeps, log: Logger): Promise<number> {
  try {
    await deps.kube.recordEvent(schedule.metadata, event);
    return 1;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not record event');
    return 0;
  }
}

// 6. releaseJobs ----------------------------------------------------------------------------------
// Runs only after the status write succeeded (or was not needed): what it releases is recorded.
async function releaseJobs(state: ReconcileState, deps: ReconcileDeps): Promise<void> {
  const stray = state.cronJob?.metadata.uid ? strayJobsToRelease(state.observed.jobs, state.jobs, true) : [];
  state.writes += await releaseFinalizers([...(state.ledger?.release ?? []), ...stray], deps.kube);
}

/** releaseFinalizers removes the ledger finalizer from Jobs; it returns the number of writes. */
export async function releaseFinalizers(jobs: Job[], kube: KubeClient): Promise<number> {
  for (const job of jobs) await kube.removeJobFinalizer(jobRef(job), FINALIZER_LEDGER);
  return jobs.length;
}

/** releaseForgottenSchedule: the Schedule is gone or being deleted; none of its Jobs may stay stuck. */
export async function releaseForgottenSchedule(labelledJobs: Job[], kube: KubeClient): Promise<number> {
  return releaseFinalizers(strayJobsToRelease(labelledJobs, [], false), kube);
}

// 7. callbacks ------------------------------------------------------------------------------------
function callbacks(state: ReconcileState, deps: ReconcileDeps): void {
  if (!deps.notifier) return;
  const { metadata } = state.observed.schedule;
  const spec = state.validation?.ok ? state.validation.spec.notify : undefined;
  const target = spec ? { namespace: metadata.namespace, name: metadata.name, notify: spec } : undefined;
  deps.notifier.sync(`${metadata.namespace}/${metadata.name}`, target, state.status?.notify?.pending ?? [], state.observed.schedule.status?.notify?.pending ?? []);
}

// 8. requeue --------------------------------------------------------------------------------------
/** NOTIFY_POLL_MS: while callbacks are outstanding and the notifier cannot enqueue, look again this often. */
export const NOTIFY_POLL_MS = 1000;

function requeueForNextRun(state: ReconcileState, deps: ReconcileDeps): { requeueAfterMs?: number } {
  const { metadata } = state.observed.schedule;
  const poll = deps.notifyPollMs;
  const busy = poll !== undefined && (deps.notifier?.report(`${metadata.namespace}/${metadata.name}`).busy || (state.status?.notify?.pending?.length ?? 0) > 0);
  const next = state.status?.nextRunTime;
  if (!next) return busy ? { requeueAfterMs: poll } : {};
  // One second after the run starts, the next pass moves nextRunTime on and reads the new Job.
  const ms = Date.parse(next) - deps.now().getTime() + 1000;
  const after = Math.max(1000, Math.min(ms, deps.maxRequeueMs));
  return { requeueAfterMs: busy ? Math.min(after, poll) : after };
}

/** sameJson compares two JSON values structurally (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
