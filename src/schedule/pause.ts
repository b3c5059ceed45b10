// Pause after failures: spec.pauseAfterConsecutiveFailures N suspends the CronJob after N failed runs in a
// row, without touching spec (GitOps tools never fight it). Pure: decidePause reads status and annotations and
// says what status.pause, lastHandledResumeRequest and lastResume become; the desired CronJob is suspended while
// status.pause is set (cronJobSuspend in desired.ts).
//   P1 resume token (annotation schedule-operator.io/resume-requested-at) absent or equal to
//      status.lastHandledResumeRequest: nothing (re-applying a manifest is safe), as for run-now
//   P2 a new token while paused: resume once - status.pause cleared, the token recorded, lastResume notes the
//      failure count at that moment
//   P3 a new token while not paused: recorded and otherwise ignored (it cannot pre-empt a later pause)
//   P4 not paused, and the failures since the later of the last success and the last resume reach N: paused
//      (reason PausedAfterFailures, the failed Jobs named)
//   P5 paused stays paused until resumed (a successful run-now while paused does not resume: resuming is explicit);
//      removing spec.pauseAfterConsecutiveFailures resumes.
//   P6 a resume token that is not a token (over 253 characters, control characters; the webhook refuses it
//      first, this is the bypass path) resumes nothing: recorded under a fingerprint, with a Warning Event
import { ANNOTATION_RESUME_REQUESTED_AT, type Pause, type Run, type Schedule, type ScheduleStatus } from '../api/schedule.js';
import { CONDITION_SUSPENDED, Reason, type ConditionInput } from '../api/conditions.js';
import { ErrorCode, failure } from '../errors.js';
import { toRfc3339 } from './jobs.js';
import { handledTokenKey, pendingToken, requestTokenProblem } from './tokens.js';

export const REASON_PAUSED_AFTER_FAILURES = 'PausedAfterFailures';
export const REASON_RESUMED = 'Resumed';

export interface PauseInputs {
  schedule: Schedule;
  /** pauseAfter: spec.pauseAfterConsecutiveFailures (undefined: never pause). */
  pauseAfter: number | undefined;
  /** status: the status as this pass computed it, ledger applied (consecutiveFailures, lastSuccessfulTime, recentFailures). */
  status: ScheduleStatus;
  now: Date;
}

export interface PauseDecision {
  pause: Pause | undefined;
  lastHandledResumeRequest: string | undefined;
  lastResume: ScheduleStatus['lastResume'];
  /** event: the transition to announce (once): Warning PausedAfterFailures or Normal Resumed. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/** resumeRequestToken is the pending resume token, if there is one not yet handled (P1). */
export function resumeRequestToken(schedule: Schedule): string | undefined {
  return pendingToken(
    ANNOTATION_RESUME_REQUESTED_AT,
    schedule.metadata.annotations?.[ANNOTATION_RESUME_REQUESTED_AT],
    schedule.status?.lastHandledResumeRequest,
  );
}

/** failuresTowardsPause: consecutive failures since the later of the last success and the last resume. */
export function failuresTowardsPause(status: ScheduleStatus): number {
  const failures = status.consecutiveFailures ?? 0;
  const resume = status.lastResume;
  if (!resume) return failures;
  const successAfterResume = status.lastSuccessfulTime !== undefined && Date.parse(status.lastSuccessfulTime) > Date.parse(resume.time);
  if (successAfterResume || failures < resume.consecutiveFailures) return failures;
  return failures - resume.consecutiveFailures;
}

export function decidePause({ schedule, pauseAfter, status, now }: PauseInputs): PauseDecision {
  let pause = status.pause;
  let lastHandledResumeRequest = status.lastHandledResumeRequest;
  let lastResume = status.lastResume;
  let event: PauseDecision['event'];

  const token = resumeRequestToken(schedule);
  const problem = token !== undefined ? requestTokenProblem(ANNOTATION_RESUME_REQUESTED_AT, token) : undefined;
  if (token !== undefined && problem !== undefined) {
    lastHandledResumeRequest = handledTokenKey(ANNOTATION_RESUME_REQUESTED_AT, token); // P6
    const refusal = failure(ErrorCode.InvalidToken, { request: 'resume', problem });
    event = { type: 'Warning', reason: refusal.reason, message: refusal.message };
  } else if (token !== undefined) {
    lastHandledResumeRequest = token; // P2, P3
    if (pause) {
      pause = undefined;
      lastResume = { time: toRfc3339(now), consecutiveFailures: status.consecutiveFailures ?? 0 };
      event = {
        type: 'Normal',
        reason: REASON_RESUMED,
        message: `resumed by request "${token}": the CronJob starts Jobs on schedule again`,
      };
    }
  }
  if (pauseAfter === undefined) {
    if (pause) event = { type: 'Normal', reason: REASON_RESUMED, message: 'resumed: spec.pauseAfterConsecutiveFailures was removed' };
    return { pause: undefined, lastHandledResumeRequest, lastResume, ...(event ? { event } : {}) };
  }
  if (!pause) {
    const failures = failuresTowardsPause({ ...status, lastResume });
    if (failures >= pauseAfter) {
      const jobs = (status.recentFailures ?? []).slice(0, Math.min(pauseAfter, 20)).map((r: Run) => r.jobName);
      const named = jobs.length ? `: ${jobs.join(', ')}` : '';
      const message = `paused after ${failures} failed runs in a row (spec.pauseAfterConsecutiveFailures ${pauseAfter})${named}. Fix the cause, then resume: schedule-operator resume ${schedule.metadata.name} -n ${schedule.metadata.namespace} (or annotate ${ANNOTATION_RESUME_REQUESTED_AT}=<new value>)`;
      pause = { since: toRfc3339(now), reason: REASON_PAUSED_AFTER_FAILURES, message, ...(jobs.length ? { jobs } : {}) };
      event = { type: 'Warning', reason: REASON_PAUSED_AFTER_FAILURES, message };
    }
  }
  return { pause, lastHandledResumeRequest, lastResume, ...(event ? { event } : {}) };
}

/** suspendedCondition: Suspended=True reason PausedAfterFailures while paused, reason Suspended for spec.suspend, else False. */
export function suspendedCondition(specSuspend: boolean, pause: Pause | undefined): ConditionInput {
  if (pause) {
    return {
      type: CONDITION_SUSPENDED,
      status: 'True',
      reason: REASON_PAUSED_AFTER_FAILURES,
      message: specSuspend ? `${pause.message}; spec.suspend is true as well` : pause.message,
    };
  }
  if (specSuspend)
    return {
      type: CONDITION_SUSPENDED,
      status: 'True',
      reason: Reason.Suspended,
      message: 'spec.suspend is true: the CronJob starts no new Jobs; running Jobs finish',
    };
  return { type: CONDITION_SUSPENDED, status: 'False', reason: Reason.Active, message: 'the CronJob starts Jobs on schedule' };
}
