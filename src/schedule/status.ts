// computeStatus: the Schedule's status rebuilt from what is observed - the spec's validation, the
// owned CronJob and its Jobs - and from the few facts that must outlive the Jobs (latest times,
// last run, recent runs). Pure: the clock is an argument. The run counters are the ledger's (a separate
// step), so this function copies them through untouched.
import {
  CONDITION_READY,
  CONDITION_RECONCILING,
  CONDITION_STALLED,
  CONDITION_SUSPENDED,
  Reason,
  setConditions,
  type ConditionInput,
} from '../api/conditions.js';
import type { Run, RunEntry, Schedule, ScheduleStatus } from '../api/schedule.js';
import { ErrorCode, failure, type Failure } from '../errors.js';
import type { CronJob, Job } from '../types/kube.js';
import { isRunning, jobResult, jobFinishedAt, jobRun, toRfc3339 } from './jobs.js';
import { retainRuns } from './history.js';
import { nextRuns } from './next.js';
import type { ValidationResult } from './validate.js';

export const UPCOMING_RUNS = 5;

export interface StatusInputs {
  schedule: Schedule;
  validation: ValidationResult;
  cronJob: CronJob | undefined;
  jobs: Job[];
  now: Date;
  /** applyError is why the CronJob does not follow the spec (CronJobRejected, CronJobNotOwned), when it does not. */
  applyError?: Failure | undefined;
  /** paused: the Schedule is paused after failures (decidePause, pause.ts): the CronJob is suspended, so no upcoming runs. */
  paused?: boolean | undefined;
}

/** computeStatus is the status the Schedule should have now. */
export function computeStatus({ schedule, validation, cronJob, jobs, now, applyError, paused }: StatusInputs): ScheduleStatus {
  const prev = schedule.status ?? {};
  const generation = schedule.metadata.generation;
  const nowText = toRfc3339(now);
  const status: ScheduleStatus = { ...prev };
  if (generation !== undefined) status.observedGeneration = generation;

  // What the CronJob actually does: with an invalid spec the existing CronJob is left as it is,
  // so the preview describes it, not the rejected spec.
  const runsFrom =
    validation.ok && !applyError
      ? { cron: validation.effectiveSchedule, timeZone: validation.timeZone, suspend: validation.spec.suspend || paused === true }
      : cronJob
        ? { cron: cronJob.spec.schedule, timeZone: cronJob.spec.timeZone ?? 'UTC', suspend: cronJob.spec.suspend === true }
        : undefined;
  setOrDelete(status, 'effectiveSchedule', runsFrom?.cron);
  setOrDelete(status, 'timeZone', runsFrom?.timeZone);
  setOrDelete(status, 'cronJobName', cronJob?.metadata.name);
  const upcoming = runsFrom && !runsFrom.suspend && cronJob ? upcomingRuns(runsFrom.cron, runsFrom.timeZone, now) : [];
  setOrDelete(status, 'nextRunTime', upcoming[0]);
  setOrDelete(status, 'upcomingRuns', upcoming.length ? upcoming : undefined);

  // Times and runs observed on the CronJob and its Jobs; the latest of what was seen before and now.
  const finished = jobs.filter((j) => jobResult(j) !== undefined);
  setOrDelete(status, 'lastScheduleTime', latest(prev.lastScheduleTime, cronJob?.status?.lastScheduleTime));
  setOrDelete(
    status,
    'lastSuccessfulTime',
    latest(prev.lastSuccessfulTime, cronJob?.status?.lastSuccessfulTime, ...finishTimes(finished, 'Succeeded')),
  );
  setOrDelete(status, 'lastFailureTime', latest(prev.lastFailureTime, ...finishTimes(finished, 'Failed')));
  const active = jobs
    .filter(isRunning)
    .map((j) => (j.status?.startTime ? { name: j.metadata.name, startTime: j.status.startTime } : { name: j.metadata.name }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  setOrDelete(status, 'active', active.length ? active : undefined);
  const retention = validation.ok
    ? { limit: validation.spec.runHistoryLimit, maxAge: validation.spec.runHistoryMaxAge }
    : { limit: prev.recentRuns?.length ?? 10 };
  const recent = retainRuns(prev.recentRuns, finished.map(jobRun), retention, now);
  setOrDelete(status, 'recentRuns', recent.length ? recent : undefined);
  setOrDelete(status, 'lastRun', recent.find(isJobRun) ?? prev.lastRun);

  status.conditions = setConditions(
    prev.conditions,
    conditions(validation, cronJob, applyError, upcoming[0], paused === true),
    generation,
    nowText,
  );
  return status;
}

function conditions(
  validation: ValidationResult,
  cronJob: CronJob | undefined,
  applyError: StatusInputs['applyError'],
  next: string | undefined,
  paused: boolean,
): ConditionInput[] {
  if (!validation.ok) {
    const problems = validation.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return problemConditions(failure(ErrorCode.InvalidSpec, { problems, keepsCronJob: cronJob !== undefined }));
  }
  if (applyError) return problemConditions(applyError);
  const suspended = validation.spec.suspend;
  const where = `CronJob ${cronJob?.metadata.name ?? '?'} runs "${validation.effectiveSchedule}" in ${validation.timeZone}`;
  return [
    {
      type: CONDITION_READY,
      status: 'True',
      reason: Reason.Reconciled,
      message: suspended
        ? `${where}; suspended, no runs start until spec.suspend is false`
        : paused
          ? `${where}; paused after consecutive failures, no runs start until resumed (see the Suspended condition)`
          : `${where}; next run at ${next ?? 'never'}`,
    },
    suspended
      ? {
          type: CONDITION_SUSPENDED,
          status: 'True',
          reason: Reason.Suspended,
          message: 'spec.suspend is true: the CronJob starts no new Jobs; running Jobs finish',
        }
      : { type: CONDITION_SUSPENDED, status: 'False', reason: Reason.Active, message: 'the CronJob starts Jobs on schedule' },
    ...progressConditions(undefined),
  ];
}

/**
 * problemConditions: Ready and the kstatus pair for a problem. Terminal problems (only a person can fix them)
 * are Ready=False and Stalled=True; transient ones (the operator retries) are Ready=Unknown and Reconciling=True.
 */
export function problemConditions(problem: Failure): ConditionInput[] {
  const ready: ConditionInput['status'] = problem.retry === 'transient' ? 'Unknown' : 'False';
  return [{ type: CONDITION_READY, status: ready, reason: problem.reason, message: problem.message }, ...progressConditions(problem)];
}

/** progressConditions: the kstatus pair Reconciling and Stalled (abnormal-true: True means attention). */
function progressConditions(problem: Failure | undefined): ConditionInput[] {
  if (problem?.retry === 'transient') {
    return [
      { type: CONDITION_RECONCILING, status: 'True', reason: problem.reason, message: problem.message },
      { type: CONDITION_STALLED, status: 'False', reason: problem.reason, message: 'the operator retries on its own with backoff' },
    ];
  }
  if (problem?.retry === 'terminal') {
    return [
      {
        type: CONDITION_RECONCILING,
        status: 'False',
        reason: problem.reason,
        message: 'no progress until a person acts: see the Stalled condition',
      },
      { type: CONDITION_STALLED, status: 'True', reason: problem.reason, message: problem.message },
    ];
  }
  return [
    {
      type: CONDITION_RECONCILING,
      status: 'False',
      reason: Reason.Reconciled,
      message: 'the spec is applied and nothing is being retried',
    },
    { type: CONDITION_STALLED, status: 'False', reason: Reason.Reconciled, message: 'nothing waits for a person' },
  ];
}

/**
 * statusAfterFailedPass: what a pass that failed knows - the previous status with Ready and the kstatus pair
 * describing the failure. Counters and everything observed stay as they were (a failed pass never counts Jobs);
 * observedGeneration moves only for a terminal failure (this generation was looked at and needs a person), not for
 * a transient one (the retry still has to apply it).
 */
export function statusAfterFailedPass(schedule: Schedule, problem: Failure, now: Date): ScheduleStatus {
  const prev = schedule.status ?? {};
  const generation = schedule.metadata.generation;
  const status: ScheduleStatus = { ...prev };
  if (problem.retry === 'terminal' && generation !== undefined) status.observedGeneration = generation;
  status.conditions = setConditions(prev.conditions, problemConditions(problem), generation, toRfc3339(now));
  return status;
}

/** upcomingRuns lists the next UPCOMING_RUNS instants as RFC3339 UTC strings. */
export function upcomingRuns(cron: string, timeZone: string, now: Date): string[] {
  try {
    return nextRuns(cron, timeZone, now, UPCOMING_RUNS).map(toRfc3339);
  } catch {
    return []; // a CronJob someone edited to an expression we cannot read: no preview rather than a crash
  }
}

function finishTimes(jobs: Job[], result: Run['result']): Array<string | undefined> {
  return jobs.filter((j) => jobResult(j) === result).map(jobFinishedAt);
}

/** latest returns the most recent of RFC3339 instants (undefined entries ignored). */
export function latest(...times: Array<string | undefined>): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const t of times) {
    if (!t) continue;
    const ms = Date.parse(t);
    if (ms > bestMs) {
      best = toRfc3339(t);
      bestMs = ms;
    }
  }
  return best;
}

/** isJobRun: a recentRuns entry that describes a Job (not a slot that did not run). */
export const isJobRun = (entry: RunEntry): entry is Run => entry.jobName !== undefined;

/** mergeRuns keeps one entry per Job or slot (the observed one wins, keeping fields only the previous had, such
 * as failure details), newest first, at most `limit`. retainRuns (history.ts) adds the age limit. */
export function mergeRuns(previous: RunEntry[] | undefined, observed: RunEntry[], limit: number): RunEntry[] {
  return retainRuns(previous, observed, { limit }, new Date(0));
}

function setOrDelete<K extends keyof ScheduleStatus>(status: ScheduleStatus, key: K, value: ScheduleStatus[K] | undefined): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}
