// Reconcile one Schedule: a pipeline of named steps with one contract. Read top to bottom:
//
//   the spec is validated once (validateSpec, the rule book the webhook and the CLI use too), then
//   1. applyCronJob     server-side apply of the desired CronJob, only when it differs from the observed one
//   2. confirmJobs      the Schedule's own Jobs (ledger rule R7), each newly finished one confirmed by a GET (R8),
//                       the ledger plan, and the ledger finalizer on running Jobs so none vanishes uncounted
//   3. runNow           a new run-now token starts one Job (deterministic name) or is refused while a run is active
//   4. adoptManualRuns  running manual Jobs join the CronJob's status.active, so its Forbid skips slots meanwhile
//   5. releaseRecorded  drop the ledger finalizer from Jobs being deleted that the status we read records (R5)
//   -  summarize        ALWAYS, also after a step threw: the only status write (count newly finished Jobs in it,
//                       docs/ledger.md) and the transition Events; a failed pass writes only what it knows
//   6. releaseCounted   drop the finalizer from Jobs being deleted that the summary's write just counted (R5)
//   7. callbacks        hand pending callbacks to the notifier (off the reconcile path)
//   then the requeue policy (requeue.ts) picks the next pass.
//
// Each step is `(pass) => Promise<StepResult>`: continue, requeue after a delay (and continue; the earliest delay
// wins), or stop (nothing more to do before the summary). What a step learns it writes to the one field of
// `Pass` it owns; later steps read it. A step that cannot go on throws (a FailedPass from the catalogue in
// src/errors.ts, or any error, which `classify` turns into one): the summary records it, then the pass rethrows
// so the work queue retries with backoff.
import type { Logger } from 'pino';
import { CONDITION_READY, findCondition, Reason } from '../api/conditions.js';
import type { RunRequest, Schedule, ScheduleStatus } from '../api/schedule.js';
import { ErrorCode, FailedPass, failure, RUN_REFUSED, type ApiCall, type Failure } from '../errors.js';
import { calls, classify } from '../kube/classify.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists } from '../kube/rest.js';
import type { CronJob, EventRecord, Job } from '../kube/types.js';
import type { RunMetrics } from '../metrics-runs.js';
import type { Notifier } from '../notify/notifier.js';
import { nextNotifyStatus } from '../notify/pending.js';
import { cronJobNeedsApply, desiredCronJob } from '../schedule/desired.js';
import { applyLedger, FINALIZER_LEDGER, forget, ownedJobs, planLedger, strayJobsToRelease, uncountedFinished, type LedgerPlan } from '../schedule/ledger.js';
import { decideRunNow, manualRunsToAdopt, runRequestStatus } from '../schedule/run-now.js';
import { computeStatus, statusAfterFailedPass } from '../schedule/status.js';
import { validateSpec, type ValidationResult } from '../schedule/validate.js';
import { keyOf } from './keys.js';
import { requeueAfterPass, type RequeuePolicy } from './requeue.js';

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
  /** requeue is the requeue policy (src/controller/requeue.ts). */
  requeue: RequeuePolicy;
  /** notifier delivers completion callbacks; without it pending callbacks wait in status. */
  notifier?: Notifier | undefined;
  /** runMetrics counts runs when the ledger does. */
  runMetrics?: RunMetrics | undefined;
  /** statusWritten hears of every status write, with the Schedule the API server returned (read-your-writes). */
  statusWritten?: ((written: Schedule) => void) | undefined;
}

export interface ReconcileResult {
  /** requeueAfterMs asks for another pass after this delay. */
  requeueAfterMs?: number;
  /** writes counts the API writes this pass made (for logs, metrics and tests). */
  writes: number;
}

// The step contract ------------------------------------------------------------------------------

export type StepResult = { kind: 'continue' } | { kind: 'requeueAfter'; ms: number } | { kind: 'stop'; reason: string };
export const proceed: StepResult = { kind: 'continue' };
export const requeueAfter = (ms: number): StepResult => ({ kind: 'requeueAfter', ms });
export const stop = (reason: string): StepResult => ({ kind: 'stop', reason });

export type Step = (pass: Pass) => Promise<StepResult>;

/** Pass is one reconcile of one Schedule: its inputs, and what the steps learned (each field has one writer). */
export interface Pass {
  readonly observed: Observed;
  readonly deps: ReconcileDeps;
  readonly log: Logger;
  /** key is the Schedule's work-queue key (also the notifier's). */
  readonly key: string;
  /** validation is the spec, checked once before the steps. */
  readonly validation: ValidationResult;
  /** cronJob: the observed CronJob, replaced by applyCronJob with the applied one, or undefined when it is not ours. */
  cronJob: CronJob | undefined;
  /** cronJobProblem (applyCronJob): why the CronJob does not follow the spec (CronJobRejected, CronJobNotOwned). */
  cronJobProblem: Failure | undefined;
  /** jobs (confirmJobs; runNow adds the Job it created): the Schedule's own Jobs that the API server still has. */
  jobs: Job[];
  /** ledger (confirmJobs): what the summary counts and which finalizers move. */
  ledger: LedgerPlan;
  /** runRequest (runNow): the outcome of a run-now request handled in this pass. */
  runRequest: RunRequest | undefined;
  /** status (summarize): the Schedule's status after the summary, written or unchanged. */
  status: ScheduleStatus;
  /** asked: the earliest requeue a step asked for. */
  asked: number | undefined;
  writes: number;
}

/** BEFORE_STATUS: the steps up to the status write. */
export const BEFORE_STATUS: ReadonlyArray<readonly [string, Step]> = [
  ['applyCronJob', applyCronJob],
  ['confirmJobs', confirmJobs],
  ['runNow', runNow],
  ['adoptManualRuns', adoptManualRuns],
  ['releaseRecorded', releaseRecorded],
];

/** AFTER_STATUS: the steps that only the status write made safe. */
export const AFTER_STATUS: ReadonlyArray<readonly [string, Step]> = [
  ['releaseCounted', releaseCounted],
  ['callbacks', callbacks],
];

/** reconcile runs the pipeline for one Schedule. It throws (after the summary) when a step or the status write failed. */
export async function reconcile(observed: Observed, deps: ReconcileDeps): Promise<ReconcileResult> {
  const pass = beginPass(observed, deps);
  const failed = await summarize(pass, await runSteps(pass, BEFORE_STATUS)); // always: the status says how the pass went
  if (failed) throw failed;
  const failedAfter = await runSteps(pass, AFTER_STATUS);
  if (failedAfter) throw failedAfter; // the retry reports it: releaseRecorded meets the same Jobs before its summary
  return { writes: pass.writes, ...requeue(pass) };
}

/** beginPass validates the spec and sets what is known before any step ran. */
export function beginPass(observed: Observed, deps: ReconcileDeps): Pass {
  const { metadata, status } = observed.schedule;
  return {
    observed,
    deps,
    log: deps.log.child({ namespace: metadata.namespace, name: metadata.name, generation: metadata.generation }),
    key: keyOf(metadata.namespace, metadata.name),
    validation: validateSpec(observed.schedule.spec, { minIntervalMinutes: deps.minIntervalMinutes }),
    cronJob: observed.cronJob,
    cronJobProblem: undefined,
    jobs: [],
    ledger: planLedger(status, []),
    runRequest: undefined,
    status: status ?? {},
    asked: undefined,
    writes: 0,
  };
}

/** runSteps runs steps in order until one stops or throws; a throw comes back as a FailedPass (never thrown here). */
export async function runSteps(pass: Pass, steps: ReadonlyArray<readonly [string, Step]>): Promise<FailedPass | undefined> {
  for (const [name, step] of steps) {
    try {
      const result = await step(pass);
      if (result.kind === 'requeueAfter') pass.asked = Math.min(pass.asked ?? Infinity, result.ms);
      if (result.kind === 'stop') {
        pass.log.debug({ step: name, reason: result.reason }, 'pass stops before the status summary');
        return undefined;
      }
    } catch (err) {
      const failed = asFailedPass(err, pass);
      pass.log.debug({ step: name, code: failed.failure.code }, 'step failed');
      return failed;
    }
  }
  return undefined;
}

/** asFailedPass: a FailedPass as thrown, or the catalogue's reading of any other error. */
function asFailedPass(err: unknown, pass: Pass): FailedPass {
  if (err instanceof FailedPass) return err;
  const { namespace, name } = pass.observed.schedule.metadata;
  const call: ApiCall = { what: `reconciling Schedule ${namespace}/${name}`, verb: '', resource: '', group: '', namespace };
  return new FailedPass(classify(err, call), { cause: err });
}

/** attempt runs one API call; a failure becomes a FailedPass that names the call. */
async function attempt<T>(call: ApiCall, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new FailedPass(classify(err, call), { cause: err });
  }
}

// 1. applyCronJob ---------------------------------------------------------------------------------
export async function applyCronJob(pass: Pass): Promise<StepResult> {
  const { validation, deps } = pass;
  const { metadata } = pass.observed.schedule;
  const observed = pass.observed.cronJob;
  // An invalid spec leaves the CronJob as it is: it keeps running its last valid spec and its Jobs still count.
  if (!validation.ok) return observed ? proceed : stop('invalid spec and no CronJob');
  if (observed && !ownedBy(observed, metadata.uid)) {
    // Never take over a CronJob someone else made: say so and wait (its deletion re-triggers us).
    pass.cronJob = undefined;
    pass.cronJobProblem = failure(ErrorCode.CronJobNotOwned, { namespace: metadata.namespace, name: metadata.name });
    return stop('CronJob not owned');
  }
  const desired = desiredCronJob(metadata, validation.spec, validation.effectiveSchedule);
  const appliedGeneration = observed?.metadata.uid ? deps.appliedGenerations.get(observed.metadata.uid) : undefined;
  if (!cronJobNeedsApply(desired, observed, appliedGeneration)) return proceed;
  const call = calls.applyCronJob(metadata.namespace, metadata.name);
  let applied: CronJob;
  try {
    applied = await deps.kube.applyCronJob(desired);
  } catch (err) {
    const problem = classify(err, call);
    // The API server refused the CronJob (most often a broken spec.jobTemplate): terminal until the spec changes.
    if (problem.code !== ErrorCode.CronJobRejected) throw new FailedPass(problem, { cause: err });
    pass.cronJobProblem = problem;
    return proceed;
  }
  pass.writes++;
  pass.cronJob = applied;
  if (applied.metadata.uid && applied.metadata.generation !== undefined) deps.appliedGenerations.set(applied.metadata.uid, applied.metadata.generation);
  pass.log.info({ cronJob: desired.metadata.name, created: !observed }, observed ? 'CronJob updated' : 'CronJob created');
  return proceed;
}

function ownedBy(cronJob: CronJob, uid: string): boolean {
  return (cronJob.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);
}

// 2. confirmJobs ----------------------------------------------------------------------------------
export async function confirmJobs(pass: Pass): Promise<StepResult> {
  const { schedule } = pass.observed;
  const { namespace } = schedule.metadata;
  const owned = ownedJobs(pass.observed.jobs, pass.cronJob);
  // Ledger rule R8: count only Jobs the API server still has (the cache may lag behind status).
  const vanished = new Set<string>();
  for (const job of uncountedFinished(schedule.status, owned)) {
    const live = await attempt(calls.getJob(namespace, job.metadata.name), () => pass.deps.kube.getJob(namespace, job.metadata.name));
    if (!live || live.metadata.uid !== job.metadata.uid) vanished.add(job.metadata.uid!);
  }
  pass.jobs = owned.filter((j) => !vanished.has(j.metadata.uid ?? ''));
  pass.ledger = planLedger(schedule.status, pass.jobs);
  for (const job of pass.ledger.addFinalizer) {
    await attempt(calls.addJobFinalizer(namespace, job.metadata.name), () => pass.deps.kube.addJobFinalizer(jobRef(job), FINALIZER_LEDGER));
    pass.writes++;
  }
  return proceed;
}

const jobRef = (job: Job) => ({ namespace: job.metadata.namespace ?? '', name: job.metadata.name, uid: job.metadata.uid });

// 3. runNow ---------------------------------------------------------------------------------------
export async function runNow(pass: Pass): Promise<StepResult> {
  const { deps } = pass;
  const decision = decideRunNow({ schedule: pass.observed.schedule, cronJob: pass.cronJob, jobs: pass.jobs });
  if (decision.action === 'none' || decision.action === 'wait') return proceed; // wait: the CronJob's event brings the next pass
  if (decision.action === 'create') {
    const { namespace, name } = decision.job.metadata;
    try {
      const created = await deps.kube.createJob(decision.job);
      pass.writes++;
      pass.jobs = [...pass.jobs, created]; // shown as active in this pass's status write, not one write later
      pass.log.info({ job: name, token: decision.token }, 'run-now Job created');
    } catch (err) {
      if (!isAlreadyExists(err)) {
        const problem = classify(err, calls.createJob(namespace ?? '', name));
        // Transient or RBAC: the token stays unhandled and the retry uses the same Job name.
        if (problem.code !== ErrorCode.CronJobRejected) throw new FailedPass(problem, { cause: err });
        const refused = failure(ErrorCode.CronJobRejected, { object: 'Job', detail: (err as Error).message, token: decision.token });
        pass.runRequest = runRequestStatus({ action: 'refuse', token: decision.token, reason: refused.reason, message: refused.message }, deps.now());
        return proceed;
      }
    }
  }
  pass.runRequest = runRequestStatus(decision, deps.now());
  return proceed;
}

// 4. adoptManualRuns ------------------------------------------------------------------------------
/**
 * adoptManualRuns lists running manual Jobs in the CronJob's status.active (see src/schedule/run-now.ts).
 * Best effort: a failure (e.g. RBAC without cronjobs/status patch) is logged and leaves the rest of the pass alone.
 */
export async function adoptManualRuns(pass: Pass): Promise<StepResult> {
  const adopt = manualRunsToAdopt(pass.cronJob, pass.jobs);
  if (!pass.cronJob || adopt.length === 0) return proceed;
  const { namespace, name } = pass.observed.schedule.metadata;
  try {
    if (await pass.deps.kube.addActiveJobs(pass.cronJob, adopt)) pass.writes++;
  } catch (err) {
    const problem = classify(err, calls.addActiveJobs(namespace, name));
    pass.log.warn({ err: problem.message, code: problem.code, jobs: adopt.map((j) => j.metadata.name) }, 'could not list manual runs in the CronJob status; scheduled runs may overlap them');
  }
  return proceed;
}

// 5. releaseRecorded ------------------------------------------------------------------------------
// Jobs being deleted that the status we read already records, that never finished (R5), or that belong to an
// earlier incarnation: no write of this pass must come first, so a failure here is in this pass's summary.
export async function releaseRecorded(pass: Pass): Promise<StepResult> {
  const counting = countedNow(pass);
  const stray = pass.cronJob?.metadata.uid ? strayJobsToRelease(pass.observed.jobs, pass.jobs, true) : [];
  pass.writes += await releaseFinalizers([...pass.ledger.release.filter((j) => !counting.has(j.metadata.uid)), ...stray], pass.deps.kube);
  return proceed;
}

// 6. releaseCounted -------------------------------------------------------------------------------
// Runs only after the summary's status write succeeded: the Jobs it releases are recorded there (R5).
export async function releaseCounted(pass: Pass): Promise<StepResult> {
  const counting = countedNow(pass);
  pass.writes += await releaseFinalizers(pass.ledger.release.filter((j) => counting.has(j.metadata.uid)), pass.deps.kube);
  return proceed;
}

/** countedNow: the uids of the Jobs this pass counts. */
const countedNow = (pass: Pass) => new Set(pass.ledger.counted.map((r) => r.jobUID));

/** releaseFinalizers removes the ledger finalizer from Jobs; it returns the number of writes. */
export async function releaseFinalizers(jobs: Job[], kube: KubeClient): Promise<number> {
  for (const job of jobs) {
    const ref = jobRef(job);
    await attempt(calls.removeJobFinalizer(ref.namespace, ref.name), () => kube.removeJobFinalizer(ref, FINALIZER_LEDGER));
  }
  return jobs.length;
}

/** releaseForgottenSchedule: the Schedule is gone or being deleted; none of its Jobs may stay stuck. */
export async function releaseForgottenSchedule(labelledJobs: Job[], kube: KubeClient): Promise<number> {
  return releaseFinalizers(strayJobsToRelease(labelledJobs, [], false), kube);
}

// 7. callbacks ------------------------------------------------------------------------------------
export async function callbacks(pass: Pass): Promise<StepResult> {
  const { notifier } = pass.deps;
  if (!notifier) return proceed;
  const { metadata } = pass.observed.schedule;
  const spec = pass.validation.ok ? pass.validation.spec.notify : undefined;
  const target = spec ? { namespace: metadata.namespace, name: metadata.name, notify: spec } : undefined;
  notifier.sync(pass.key, target, pass.status.notify?.pending ?? [], pass.observed.schedule.status?.notify?.pending ?? []);
  return proceed;
}

// requeue -----------------------------------------------------------------------------------------
function requeue(pass: Pass): { requeueAfterMs?: number } {
  const outstanding = (pass.deps.notifier?.report(pass.key).busy ?? false) || (pass.status.notify?.pending?.length ?? 0) > 0;
  const ms = requeueAfterPass(pass.deps.requeue, { asked: pass.asked, nextRunTime: pass.status.nextRunTime, callbacksOutstanding: outstanding, now: pass.deps.now() });
  return ms === undefined ? {} : { requeueAfterMs: ms };
}

// summarize ---------------------------------------------------------------------------------------
/**
 * summarize is the only status writer, and ends every pass. After good steps it writes the status rebuilt from
 * what they learned, with this pass's counts (docs/ledger.md); after a failed step (or a failed R6 read here) it
 * writes what the pass knows (statusAfterFailedPass: conditions and observedGeneration, counters untouched).
 * Nothing is written when nothing changed. It returns the failure the pass ends with. A failed write is logged
 * and returned, never written about: the retry, with backoff, reads a fresh cache (a 409 is one retry, not a loop).
 */
export async function summarize(pass: Pass, failed: FailedPass | undefined): Promise<FailedPass | undefined> {
  const { schedule } = pass.observed;
  const { deps } = pass;
  const { namespace, name } = schedule.metadata;
  const report = deps.notifier?.report(pass.key) ?? { delivered: [], lastError: undefined, busy: false };
  let status: ScheduleStatus;
  try {
    if (failed) throw failed;
    status = await goodStatus(pass, report);
  } catch (err) {
    failed = asFailedPass(err, pass);
    status = statusAfterFailedPass(schedule, failed.failure, deps.now());
  }
  pass.status = status;
  if (sameJson(status, schedule.status ?? {})) return failed;
  try {
    // Guarded by resourceVersion: a 409 throws, nothing was counted, the retry recomputes from fresh status.
    const written = await attempt(calls.updateScheduleStatus(namespace, name), () => deps.kube.updateScheduleStatus(schedule, status));
    deps.statusWritten?.(written);
  } catch (err) {
    const writeFailed = asFailedPass(err, pass);
    pass.log.warn({ err: writeFailed.message, code: writeFailed.failure.code }, 'status not written; retrying with backoff');
    return failed ?? writeFailed;
  }
  pass.writes++;
  pass.log.debug({ observedGeneration: status.observedGeneration, counted: failed ? 0 : pass.ledger.counted.length }, 'status updated');
  if (!failed && pass.ledger.counted.length) deps.runMetrics?.counted(namespace, name, pass.ledger.counted);
  if (!failed && report.delivered.length) deps.notifier?.forget(pass.key, report.delivered.map((d) => d.uid));
  pass.writes += await recordTransition(pass, status);
  if (!failed && pass.runRequest) pass.writes += await recordRunRequest(pass, pass.runRequest);
  return failed;
}

/**
 * goodStatus: the status rebuilt from the observation and what the steps learned, with this pass's counts. When it
 * differs from the persisted one, ledger rule R6 drops recorded Jobs the API server (not the cache) says are gone.
 */
async function goodStatus(pass: Pass, report: ReturnType<Notifier['report']>): Promise<ScheduleStatus> {
  const { schedule } = pass.observed;
  const { validation, ledger } = pass;
  const { namespace } = schedule.metadata;
  const computed = computeStatus({ schedule, validation, cronJob: pass.cronJob, jobs: pass.jobs, now: pass.deps.now(), applyError: pass.cronJobProblem });
  const status = applyLedger(computed, ledger.next);
  if (pass.runRequest) {
    status.lastHandledRunRequest = pass.runRequest.token;
    status.lastRunRequest = pass.runRequest;
  }
  const notify = validation.ok ? nextNotifyStatus(schedule.status?.notify, validation.spec.notify, ledger.counted, report) : schedule.status?.notify;
  if (notify && Object.keys(notify).length) status.notify = notify;
  else delete status.notify;
  if (sameJson(status, schedule.status ?? {})) return status; // no write, so nothing is pruned (R6)
  const gone = new Set<string>();
  for (const c of ledger.forgetIfGone) {
    const job = await attempt(calls.getJob(namespace, c.name), () => pass.deps.kube.getJob(namespace, c.name));
    if (!job || job.metadata.uid !== c.uid) gone.add(c.uid);
  }
  return gone.size ? applyLedger(status, forget(ledger.next, gone)) : status;
}

async function recordRunRequest(pass: Pass, request: RunRequest): Promise<number> {
  const started = request.outcome === 'Started';
  return tryRecordEvent(pass, { type: started ? 'Normal' : 'Warning', reason: started ? Reason.RunStarted : RUN_REFUSED, message: request.message ?? '', action: 'RunNow' });
}

/** recordTransition emits an Event when the Ready condition changed status, reason or message (transitions only). */
async function recordTransition(pass: Pass, status: ScheduleStatus): Promise<number> {
  const before = findCondition(pass.observed.schedule.status?.conditions, CONDITION_READY);
  const after = findCondition(status.conditions, CONDITION_READY);
  if (!after || (before?.status === after.status && before.reason === after.reason && before.message === after.message)) return 0;
  if (after.status === 'True' && before?.status === 'True') return 0; // a new next-run time is not news
  const warning = after.status !== 'True';
  return tryRecordEvent(pass, { type: warning ? 'Warning' : 'Normal', reason: after.reason, message: after.message, action: warning ? 'Validate' : 'Reconcile' });
}

/** tryRecordEvent creates an Event; Events are for people, so a failure is logged, not retried. Returns the writes made. */
async function tryRecordEvent(pass: Pass, event: EventRecord): Promise<number> {
  const { metadata } = pass.observed.schedule;
  try {
    await pass.deps.kube.recordEvent(metadata, event);
    return 1;
  } catch (err) {
    pass.log.warn({ err: classify(err, calls.recordEvent(metadata.namespace, metadata.name)).message }, 'could not record event');
    return 0;
  }
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
