// computeStatus: the Schedule's status rebuilt from what is observed - the spec's validation, the
// owned CronJob and its Jobs - and from the few facts that must outlive the Jobs (latest times,
// last run, recent runs). Pure: the clock is an argument. The run counters are the ledger's (a separate
// step), so this function copies them through untouched.
import { CONDITION_READY, CONDITION_SUSPENDED, Reason, setConditions, type ConditionInput } from '../api/conditions.js';
import type { Run, Schedule, ScheduleStatus } from '../api/schedule.js';
import type { CronJob, Job } from '../types/kube.js';
import { isRunning, jobResult, jobFinishedAt, jobRun, newestFirst, runKey, toRfc3339 } from './jobs.js';
import { nextRuns } from './next.js';
import type { ValidationResult } from './validate.js';

export const UPCOMING_RUNS = 5;

export interface StatusInputs {
  schedule: Schedule;
  validation: ValidationResult;
  cronJob: CronJob | undefined;
  jobs: Job[];
  now: Date;
  /** applyError is the API server's refusal of the CronJob, when the last apply failed. */
  applyError?: { reason: string; message: string } | undefined;
}

/** computeStatus is the status the Schedule should have now. */
export function computeStatus({ schedule, validation, cronJob, jobs, now, applyError }: StatusInputs): ScheduleStatus {
  const prev = schedule.status ?? {};
  const generation = schedule.metadata.generation;
  const nowText = toRfc3339(now);
  const status: ScheduleStatus = { ...prev };
  if (generation !== undefined) status.observedGeneration = generation;

  // What the CronJob actually does: with an invalid spec the existing CronJob is left as it is,
  // so the preview describes it, not the rejected spec.
  const runsFrom = validation.ok && !applyError ? { cron: validation.effectiveSchedule, timeZone: validation.timeZone, suspend: validation.spec.suspend } : cronJob ? { cron: cronJob.spec.schedule, timeZone: cronJob.spec.timeZone ?? 'UTC', suspend: cronJob.spec.suspend === true } : undefined;
  setOrDelete(status, 'effectiveSchedule', runsFrom?.cron);
  setOrDelete(status, 'timeZone', runsFrom?.timeZone);
  setOrDelete(status, 'cronJobName', cronJob?.metadata.name);
  const upcoming = runsFrom && !runsFrom.suspend && cronJob ? upcomingRuns(runsFrom.cron, runsFrom.timeZone, now) : [];
  setOrDelete(status, 'nextRunTime', upcoming[0]);
  setOrDelete(status, 'upcomingRuns', upcoming.length ? upcoming : undefined);

  // Times and runs observed on the CronJob and its Jobs; the latest of what was seen before and now.
  const finished = jobs.filter((j) => jobResult(j) !== undefined);
  setOrDelete(status, 'lastScheduleTime', latest(prev.lastScheduleTime, cronJob?.status?.lastScheduleTime));
  setOrDelete(status, 'lastSuccessfulTime', latest(prev.lastSuccessfulTime, cronJob?.status?.lastSuccessfulTime, ...finishTimes(finished, 'Succeeded')));
  setOrDelete(status, 'lastFailureTime', latest(prev.lastFailureTime, ...finishTimes(finished, 'Failed')));
  const active = jobs
    .filter(isRunning)
    .map((j) => (j.status?.startTime ? { name: j.metadata.name, startTime: j.status.startTime } : { name: j.metadata.name }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  setOrDelete(status, 'active', active.length ? active : undefined);
  const recent = mergeRuns(prev.recentRuns, finished.map(jobRun), validation.ok ? validation.spec.runHistoryLimit : (prev.recentRuns?.length ?? 10));
  setOrDelete(status, 'recentRuns', recent.length ? recent : undefined);
  setOrDelete(status, 'lastRun', recent[0] ?? prev.lastRun);

  status.conditions = setConditions(prev.conditions, conditions(validation, cronJob, applyError, upcoming[0]), generation, nowText);
  return status;
}

function conditions(validation: ValidationResult, cronJob: CronJob | undefined, applyError: StatusInputs['applyError'], next: string | undefined): ConditionInput[] {
  if (!validation.ok) {
    const message = validation.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return [
      { type: CONDITION_READY, status: 'False', reason: Reason.InvalidSpec, message: cronJob ? `${message} (the CronJob keeps its last valid spec)` : message },
    ];
  }
  if (applyError) {
    return [{ type: CONDITION_READY, status: 'False', reason: applyError.reason, message: applyError.message }];
  }
  const suspended = validation.spec.suspend;
  const where = `CronJob ${cronJob?.metadata.name ?? '?'} runs "${validation.effectiveSchedule}" in ${validation.timeZone}`;
  return [
    {
      type: CONDITION_READY,
      status: 'True',
      reason: Reason.Reconciled,
      message: suspended ? `${where}; suspended, no runs start until spec.suspend is false` : `${where}; next run at ${next ?? 'never'}`,
    },
    suspended
      ? { type: CONDITION_SUSPENDED, status: 'True', reason: Reason.Suspended, message: 'spec.suspend is true: the CronJob starts no new Jobs; running Jobs finish' }
      : { type: CONDITION_SUSPENDED, status: 'False', reason: Reason.Active, message: 'the CronJob starts Jobs on schedule' },
  ];
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

/** mergeRuns keeps one entry per Job (the observed one wins), newest first, at most `limit`. */
export function mergeRuns(previous: Run[] | undefined, observed: Run[], limit: number): Run[] {
  const byKey = new Map<string, Run>();
  for (const run of previous ?? []) byKey.set(runKey(run), run);
  for (const run of observed) byKey.set(runKey(run), run);
  return [...byKey.values()].sort(newestFirst).slice(0, limit);
}

function setOrDelete<K extends keyof ScheduleStatus>(status: ScheduleStatus, key: K, value: ScheduleStatus[K] | undefined): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}
