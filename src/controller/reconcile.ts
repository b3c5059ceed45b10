// Reconcile one Schedule: a pipeline of named steps with one contract. Read top to bottom:
//
//   the spec is validated once (validateSpec, the rule book the webhook and the CLI use too), then
//   1. applyCronJob     server-side apply of the desired CronJob, only when it differs from the observed one
//                       (suspended for spec.suspend and while the persisted status.pause says paused)
//   2. confirmJobs      the Schedule's own Jobs (ledger rule R7), each newly finished one confirmed by a GET (R8),
//                       the ledger plan, and the ledger finalizer on running Jobs so none vanishes uncounted
//   3. runNow           a new run-now token starts one Job (deterministic name) or is refused while a run is active
//   4. adoptManualRuns  running manual Jobs join the CronJob's status.active, so its Forbid skips slots meanwhile
//   5. releaseRecorded  drop the ledger finalizer from Jobs being deleted that the status we read records (R5)
//   6. readFailedPods   the pods of each run this pass counts as Failed, listed once: exit code, reason, message
//   7. decideSlots      every due slot since the persisted watermark gets its outcome (docs/ledger.md, "Slots")
//   -  summarize        ALWAYS, also after a step threw: the only status write (counts, failure details, pause,
//                       Overdue, slot decisions: src/schedule/accounting.ts), then the Events and metrics of what
//                       it wrote; a failed pass writes only what it knows
//   8. releaseCounted   drop the finalizer from Jobs being deleted that the summary's write just counted (R5)
//   9. followPause      a pause or resume the summary just wrote reaches the CronJob (suspend follows status.pause)
//  10. callbacks        hand pending callbacks to the notifier (off the reconcile path)
//   then the requeue policy (requeue.ts) picks the next pass.
//
// Pause ordering: status.pause is written first (the summary), the CronJob's suspend follows it (followPause, and
// applyCronJob in every later pass, from the persisted status.pause). A crash in between leaves status saying
// paused and a CronJob that is not yet suspended; the next pass (every Schedule is reconciled at start-up) suspends
// it. The other order would leave a suspended CronJob that no status explains, which the next pass would undo.
//
// Every step has one signature, `(pass) => Promise<StepResult>` (src/controller/pass.ts: continue, requeue after,
// stop), and hands what it learns forward in the field of `Pass` it owns. A step that cannot go on throws: the
// summary (src/controller/summary.ts) records why, then the pass rethrows so the work queue retries with backoff.
import type { Run } from '../api/schedule.js';
import { ErrorCode, FailedPass, failure } from '../errors.js';
import { calls, classify } from '../kube/classify.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists } from '../kube/rest.js';
import type { CronJob, Job } from '../types/kube.js';
import { cronJobNeedsApply, desiredCronJob } from '../schedule/desired.js';
import { failureDetails, podSelector, withFailure } from '../schedule/failures.js';
import { FINALIZER_LEDGER, ownedJobs, planLedger, strayJobsToRelease, uncountedFinished } from '../schedule/ledger.js';
import { decideRunNow, manualRunsToAdopt, runRequestStatus } from '../schedule/run-now.js';
import { decideSlots as decideSlotOutcomes, segmentOf, startSlotState } from '../schedule/slots.js';
import {
  attempt,
  beginPass,
  proceed,
  runSteps,
  stop,
  type Observed,
  type Pass,
  type ReconcileDeps,
  type Step,
  type StepResult,
} from './pass.js';
import { requeueAfterPass } from './requeue.js';
import { summarize } from './summary.js';

export type { Observed, ReconcileDeps } from './pass.js';

export interface ReconcileResult {
  /** requeueAfterMs asks for another pass after this delay. */
  requeueAfterMs?: number;
  /** writes counts the API writes this pass made (for logs, metrics and tests). */
  writes: number;
}

/** BEFORE_STATUS: the steps up to the status write. */
export const BEFORE_STATUS: ReadonlyArray<readonly [string, Step]> = [
  ['applyCronJob', applyCronJob],
  ['confirmJobs', confirmJobs],
  ['runNow', runNow],
  ['adoptManualRuns', adoptManualRuns],
  ['releaseRecorded', releaseRecorded],
  ['readFailedPods', readFailedPods],
  ['decideSlots', decideSlots],
];

/** AFTER_STATUS: the steps that only the status write made safe. */
export const AFTER_STATUS: ReadonlyArray<readonly [string, Step]> = [
  ['releaseCounted', releaseCounted],
  ['followPause', followPause],
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

// 1. applyCronJob ---------------------------------------------------------------------------------
export async function applyCronJob(pass: Pass): Promise<StepResult> {
  const { validation } = pass;
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
  await apply(pass, pass.observed.schedule.status?.pause !== undefined);
  return proceed;
}

/** apply server-side applies the desired CronJob when it differs from pass.cronJob (a rejected one is recorded). */
async function apply(pass: Pass, paused: boolean): Promise<void> {
  const { validation, deps } = pass;
  if (!validation.ok) return;
  const { metadata } = pass.observed.schedule;
  const observed = pass.cronJob;
  const desired = desiredCronJob(metadata, validation.spec, validation.effectiveSchedule, paused);
  const appliedGeneration = observed?.metadata.uid ? deps.appliedGenerations.get(observed.metadata.uid) : undefined;
  if (!cronJobNeedsApply(desired, observed, appliedGeneration)) return;
  const call = calls.applyCronJob(metadata.namespace, metadata.name);
  let applied: CronJob;
  try {
    applied = await deps.kube.applyCronJob(desired);
  } catch (err) {
    const problem = classify(err, call);
    // The API server refused the CronJob (most often a broken spec.jobTemplate): terminal until the spec changes.
    if (problem.code !== ErrorCode.CronJobRejected) throw new FailedPass(problem, { cause: err });
    pass.cronJobProblem = problem;
    return;
  }
  pass.writes++;
  pass.cronJob = applied;
  if (applied.metadata.uid && applied.metadata.generation !== undefined)
    deps.appliedGenerations.set(applied.metadata.uid, applied.metadata.generation);
  pass.log.info(
    { cronJob: desired.metadata.name, created: !observed, suspend: desired.spec.suspend },
    observed ? 'CronJob updated' : 'CronJob created',
  );
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
        pass.runRequest = runRequestStatus(
          { action: 'refuse', token: decision.token, reason: refused.reason, message: refused.message },
          deps.now(),
        );
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
    pass.log.warn(
      { err: problem.message, code: problem.code, jobs: adopt.map((j) => j.metadata.name) },
      'could not list manual runs in the CronJob status; scheduled runs may overlap them',
    );
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

// 6. readFailedPods -------------------------------------------------------------------------------
/**
 * readFailedPods lists, once, the pods of each Job this pass counts as Failed, for the failed container's exit
 * code, reason and termination message (src/schedule/failures.ts). Jobs that succeeded are never read. Without
 * `list pods` (403) the run is recorded with the Job's own reason only, and the gap is logged once.
 */
export async function readFailedPods(pass: Pass): Promise<StepResult> {
  const { namespace } = pass.observed.schedule.metadata;
  const failed: Run[] = [];
  for (const run of pass.ledger.counted) {
    if (run.result !== 'Failed') continue;
    const job = pass.jobs.find((j) => j.metadata.uid === run.jobUID);
    const selector = job && podSelector(job);
    if (!job || !selector) {
      failed.push(run);
      continue;
    }
    let pods: Awaited<ReturnType<KubeClient['listPods']>> = [];
    try {
      pods = await pass.deps.kube.listPods(namespace, selector);
    } catch (err) {
      const problem = classify(err, calls.listPods(namespace, job.metadata.name));
      if (problem.code !== ErrorCode.PermissionDenied) throw new FailedPass(problem, { cause: err });
      if (pass.deps.firstTime?.(`pods/${namespace}`) ?? true)
        pass.log.warn({ err: problem.message }, 'failed runs are recorded without exit code and reason');
    }
    failed.push(withFailure(run, failureDetails(job, pods)));
  }
  pass.failedRuns = failed;
  return proceed;
}

// 7. decideSlots ----------------------------------------------------------------------------------
// The Jobs are the Schedule's own from the synced cache (confirmJobs), plus a run-now Job this pass created; the
// spec in force is the CronJob as applied, paused as the persisted status says (the CronJob follows status.pause).
export async function decideSlots(pass: Pass): Promise<StepResult> {
  const { schedule } = pass.observed;
  const now = pass.deps.now();
  const creationTime = schedule.metadata.creationTimestamp ?? now.toISOString();
  const prev = startSlotState(schedule.status, creationTime, now);
  pass.slots = decideSlotOutcomes(
    prev,
    { jobs: pass.jobs, creationTime, inForce: segmentOf(pass.cronJob, schedule.status?.pause !== undefined) },
    now,
  );
  return proceed;
}

// 8. releaseCounted -------------------------------------------------------------------------------
// Runs only after the summary's status write succeeded: the Jobs it releases are recorded there (R5).
export async function releaseCounted(pass: Pass): Promise<StepResult> {
  const counting = countedNow(pass);
  pass.writes += await releaseFinalizers(
    pass.ledger.release.filter((j) => counting.has(j.metadata.uid)),
    pass.deps.kube,
  );
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

// 9. followPause ----------------------------------------------------------------------------------
// The summary wrote a pause or a resume: the CronJob follows now (see "Pause ordering" above).
export async function followPause(pass: Pass): Promise<StepResult> {
  const paused = pass.status.pause !== undefined;
  if (paused === (pass.observed.schedule.status?.pause !== undefined) || !pass.cronJob || pass.cronJobProblem) return proceed;
  await apply(pass, paused);
  return proceed;
}

// 10. callbacks --------------------------------------------------------------------------------------
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
  const ms = requeueAfterPass(pass.deps.requeue, {
    asked: pass.asked,
    nextRunTime: pass.status.nextRunTime,
    callbacksOutstanding: outstanding,
    now: pass.deps.now(),
    slotDecisionAt: pass.slots?.nextDecisionAt,
    moreSlots: pass.slots?.more === true,
    overdueAt: pass.overdueAt,
  });
  return ms === undefined ? {} : { requeueAfterMs: ms };
}
