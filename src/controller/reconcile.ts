// Reconcile one Schedule: a pipeline of named steps (style.md, principle 3). Read top to bottom:
//
//   1. validate      the spec, by the one rule book (validateSpec) the webhook and the CLI use too
//   2. applyCronJob  server-side apply of the desired CronJob, only when it differs from the observed one
//   3. status        rebuild status from the CronJob and its Jobs; write it only when it changed
//   4. schedule the next pass for just after the next run, so nextRunTime never goes stale
//
// Steps share a ReconcileState. Step 3 always runs (like flux's deferred summary), so observedGeneration
// and conditions describe even a pass that stopped early. Errors follow the catalogue in errors.ts.
import type { Logger } from 'pino';
import { CONDITION_READY, findCondition } from '../api/conditions.js';
import type { Schedule, ScheduleStatus } from '../api/schedule.js';
import { ErrorCode } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/rest.js';
import type { CronJob, Job } from '../kube/types.js';
import { cronJobNeedsApply, desiredCronJob } from '../schedule/desired.js';
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
  status?: ScheduleStatus;
  writes: number;
}

/** reconcile runs the pipeline for one Schedule. It throws only for transient failures (retry with backoff). */
export async function reconcile(observed: Observed, deps: ReconcileDeps): Promise<ReconcileResult> {
  const state: ReconcileState = { observed, cronJob: observed.cronJob, writes: 0 };
  const log = deps.log.child({
    namespace: observed.schedule.metadata.namespace,
    name: observed.schedule.metadata.name,
    generation: observed.schedule.metadata.generation,
  });
  validate(state, deps);
  if (state.validation?.ok) await applyCronJob(state, deps, log);
  await writeStatus(state, deps, log);
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
    if (err instanceof ApiError && (err.statusCode === 422 || err.statusCode === 400)) {
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

// 3. status ---------------------------------------------------------------------------------------
async function writeStatus(state: ReconcileState, deps: ReconcileDeps, log: Logger): Promise<void> {
  const { schedule, jobs } = state.observed;
  const validation = state.validation ?? validateSpec(schedule.spec, { minIntervalMinutes: deps.minIntervalMinutes });
  const status = computeStatus({ schedule, validation, cronJob: state.cronJob, jobs, now: deps.now(), applyError: state.applyError });
  state.status = status;
  if (sameJson(status, schedule.status ?? {})) return;
  await deps.kube.updateScheduleStatus(schedule, status);
  state.writes++;
  log.debug({ observedGeneration: status.observedGeneration }, 'status updated');
  await recordTransition(schedule, status, deps, log).then((wrote) => (state.writes += wrote));
}

/** recordTransition emits an Event when the Ready condition changed status or reason (transitions only). */
async function recordTransition(schedule: Schedule, status: ScheduleStatus, deps: ReconcileDeps, log: Logger): Promise<number> {
  const before = findCondition(schedule.status?.conditions, CONDITION_READY);
  const after = findCondition(status.conditions, CONDITION_READY);
  if (!after || (before?.status === after.status && before.reason === after.reason && before.message === after.message)) return 0;
  if (after.status === 'True' && before?.status === 'True') return 0; // a new next-run time is not news
  const warning = after.status !== 'True';
  try {
    await deps.kube.recordEvent(schedule.metadata, {
      type: warning ? 'Warning' : 'Normal',
      reason: after.reason,
      message: after.message,
      action: warning ? 'Validate' : 'Reconcile',
    });
    return 1;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not record event');
    return 0;
  }
}

// 4. requeue --------------------------------------------------------------------------------------
function requeueForNextRun(state: ReconcileState, deps: ReconcileDeps): { requeueAfterMs?: number } {
  const next = state.status?.nextRunTime;
  if (!next) return {};
  // One second after the run starts, the next pass moves nextRunTime on and reads the new Job.
  const ms = Date.parse(next) - deps.now().getTime() + 1000;
  return { requeueAfterMs: Math.max(1000, Math.min(ms, deps.maxRequeueMs)) };
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
