// The run ledger: counters that outlive the Jobs, each Job counted exactly once (docs/ledger.md).
// Pure: planLedger reads the persisted status and the Jobs the cache holds, and says what to count,
// which finalizers to add and which to release. The reconciler performs the writes in this order:
//
//   1. add the finalizer to running Jobs that lack it (so they cannot vanish before they are counted)
//   2. write status (counters + countedJobs) guarded by resourceVersion; a 409 means nothing was counted
//   3. only then release the finalizer of Jobs that are being deleted and are recorded in countedJobs
//
// Rules (each one a row of the table in test/unit/schedule/ledger.test.ts):
//   R1 a finished Job whose uid is not in countedJobs is counted, and its uid added, in one status write
//   R2 a Job whose uid is in countedJobs is never counted again, whatever order events arrive in
//   R3 counters only grow: total = succeeded + failed, manual counts finished run-now Jobs
//   R4 consecutiveFailures follows the counted Jobs in finish order: a success resets it, a failure adds one
//   R5 the finalizer is released only from a Job being deleted that is already recorded, or that never
//      finished (a run cancelled by deleting its Job is not a finished run and is not counted)
//   R6 a recorded uid is forgotten only once the Job is confirmed gone from the API server (not merely
//      absent from a cache that may lag), and only when status is written anyway (no write just to prune)
//   R7 only Jobs owned by the Schedule's current CronJob belong to its ledger: a re-created Schedule
//      (new uid, new CronJob) starts a new ledger and never counts its predecessor's Jobs
//   R8 a Job is counted only while the API server confirms it still exists: a cache lagging behind status
//      (a new leader whose watch is behind the old one's last writes) may still show a Job that was counted,
//      deleted and forgotten; the reconciler reads each uncounted finished Job before counting it
import { FINALIZER_LEDGER, type CountedJob, type Run, type RunCounts, type ScheduleStatus } from '../api/schedule.js';
import type { CronJob, Job } from '../types/kube.js';
import { isRunning, jobFinishedAt, jobResult, jobRun } from './jobs.js';

export { FINALIZER_LEDGER };

/** LedgerState is the part of status the ledger owns. */
export interface LedgerState {
  runs: RunCounts;
  consecutiveFailures: number;
  countedJobs: CountedJob[];
}

export interface LedgerPlan {
  /** next is the ledger after counting this pass's newly finished Jobs (R1-R4). */
  next: LedgerState;
  /** counted are the runs this pass counts, in finish order (for metrics and callbacks, after the write). */
  counted: Run[];
  /** forgetIfGone are recorded Jobs absent from the cache: drop them once the API server confirms (R6). */
  forgetIfGone: CountedJob[];
  /** addFinalizer are running Jobs without the ledger finalizer (step 1). */
  addFinalizer: Job[];
  /** release are Jobs being deleted whose finalizer may go once `next` is persisted (R5, step 3). */
  release: Job[];
}

export const hasLedgerFinalizer = (job: Job): boolean => (job.metadata.finalizers ?? []).includes(FINALIZER_LEDGER);

/** ledgerOf reads the ledger from a persisted status (zeros for a new Schedule). */
export function ledgerOf(status: ScheduleStatus | undefined): LedgerState {
  const r = status?.runs;
  return {
    runs: { total: r?.total ?? 0, succeeded: r?.succeeded ?? 0, failed: r?.failed ?? 0, manual: r?.manual ?? 0, ...pick(r) },
    consecutiveFailures: status?.consecutiveFailures ?? 0,
    countedJobs: [...(status?.countedJobs ?? [])],
  };
}

function pick(r: RunCounts | undefined): Partial<RunCounts> {
  const out: Partial<RunCounts> = {};
  if (r?.missed !== undefined) out.missed = r.missed;
  if (r?.skipped !== undefined) out.skipped = r.skipped;
  return out;
}

/** ownedJobs keeps the Jobs that belong to this incarnation of the Schedule: owned by its CronJob (R7). */
export function ownedJobs(jobs: Job[], cronJob: CronJob | undefined): Job[] {
  const uid = cronJob?.metadata.uid;
  if (!uid) return [];
  return jobs.filter((j) => (j.metadata.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.uid === uid));
}

/** uncountedFinished are the finished Jobs not yet recorded: the ones R8 asks to confirm. */
export function uncountedFinished(status: ScheduleStatus | undefined, jobs: Job[]): Job[] {
  const recorded = new Set((status?.countedJobs ?? []).map((c) => c.uid));
  return jobs.filter((j) => j.metadata.uid && jobResult(j) !== undefined && !recorded.has(j.metadata.uid));
}

/** planLedger decides what this pass counts and which finalizers move. `jobs` are the owned Jobs. */
export function planLedger(status: ScheduleStatus | undefined, jobs: Job[]): LedgerPlan {
  const prev = ledgerOf(status);
  const recorded = new Set(prev.countedJobs.map((c) => c.uid));
  const next: LedgerState = { runs: { ...prev.runs }, consecutiveFailures: prev.consecutiveFailures, countedJobs: [...prev.countedJobs] };

  const newlyFinished = uncountedFinished(status, jobs).sort(finishOrder);
  const counted: Run[] = [];
  for (const job of newlyFinished) {
    const run = jobRun(job);
    next.runs.total++;
    if (run.result === 'Succeeded') {
      next.runs.succeeded++;
      next.consecutiveFailures = 0;
    } else {
      next.runs.failed++;
      next.consecutiveFailures++;
    }
    if (run.trigger === 'Manual') next.runs.manual = (next.runs.manual ?? 0) + 1;
    next.countedJobs.push({ name: job.metadata.name, uid: job.metadata.uid! });
    recorded.add(job.metadata.uid!);
    counted.push(run);
  }

  const present = new Set(jobs.map((j) => j.metadata.uid));
  return {
    next,
    counted,
    forgetIfGone: next.countedJobs.filter((c) => !present.has(c.uid)),
    addFinalizer: jobs.filter((j) => isRunning(j) && !hasLedgerFinalizer(j)),
    release: jobs.filter(
      (j) => j.metadata.deletionTimestamp && hasLedgerFinalizer(j) && (jobResult(j) === undefined || recorded.has(j.metadata.uid ?? '')),
    ),
  };
}

/** forget drops the recorded Jobs the API server confirmed gone (R6). */
export function forget(state: LedgerState, gone: Set<string>): LedgerState {
  if (gone.size === 0) return state;
  return { ...state, countedJobs: state.countedJobs.filter((c) => !gone.has(c.uid)) };
}

/** applyLedger writes the ledger into a status computed by computeStatus. */
export function applyLedger(status: ScheduleStatus, ledger: LedgerState): ScheduleStatus {
  const out: ScheduleStatus = { ...status, runs: ledger.runs, consecutiveFailures: ledger.consecutiveFailures };
  if (ledger.countedJobs.length) out.countedJobs = ledger.countedJobs;
  else delete out.countedJobs;
  return out;
}

/**
 * strayJobsToRelease: Jobs labelled for a Schedule that are not in its ledger keep no finalizer of ours -
 * all of them when the Schedule is gone or being deleted (its ledger goes with it), otherwise those of an
 * earlier incarnation (another CronJob) once they are being deleted.
 */
export function strayJobsToRelease(labelled: Job[], owned: Job[], scheduleAlive: boolean): Job[] {
  const mine = new Set(owned.map((j) => j.metadata.uid));
  return labelled.filter((j) => hasLedgerFinalizer(j) && (!scheduleAlive || (!mine.has(j.metadata.uid) && j.metadata.deletionTimestamp)));
}

function finishOrder(a: Job, b: Job): number {
  const ta = Date.parse(jobFinishedAt(a) ?? '') || 0;
  const tb = Date.parse(jobFinishedAt(b) ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
