// Run now: the annotation schedule-operator.io/run-requested-at asks for one run per new token.
// Pure: decideRunNow says what to do; the reconciler creates the Job and records the outcome in status.
//
//   - token absent, or equal to status.lastHandledRunRequest  -> nothing (re-applying a manifest is safe)
//   - token not a token (over 253 characters, control chars)  -> refused, recorded under a fingerprint (the
//                                                                 webhook refuses it first; this is the bypass path)
//   - no CronJob yet (nothing to copy the template from)       -> wait; the next pass decides
//   - a run is active                                          -> refused (concurrencyPolicy Forbid holds for
//                                                                 manual runs too), recorded in status and an Event
//   - otherwise                                                -> create the Job `manualJobName(...)`; its name is
//                                                                 a hash of the Schedule uid and the token, so a
//                                                                 retry or a restart gets AlreadyExists, never a 2nd run
//
// The other direction of no-overlap: the CronJob controller's Forbid check only looks at the CronJob's
// status.active, which never lists Jobs it did not start. manualRunsToAdopt names the running manual Jobs
// (run-now, or `kubectl create job --from`) to add there, so the controller itself skips scheduled slots
// while they run - and takes them out of the list when they finish, as for its own Jobs.
import { createHash } from 'node:crypto';
import {
  ANNOTATION_RUN_REQUESTED_AT,
  FINALIZER_LEDGER,
  GROUP,
  LABEL_MANAGED_BY,
  LABEL_SCHEDULE,
  MANAGER,
  type RunRequest,
  type Schedule,
} from '../api/schedule.js';
import { ErrorCode, failure } from '../errors.js';
import type { CronJob, Job } from '../types/kube.js';
import { isRunning, jobResult, jobTrigger, LABEL_TRIGGER, toRfc3339 } from './jobs.js';
import { handledTokenKey, pendingToken, requestTokenProblem } from './tokens.js';

/** Manual Jobs record the token they were started for. */
export const ANNOTATION_RUN_REQUEST = `${GROUP}/run-request`;
const MAX_JOB_NAME = 63;

export type RunNowDecision =
  | { action: 'none' }
  | { action: 'wait'; token: string }
  | { action: 'create'; token: string; job: Job }
  | { action: 'refuse'; token: string; reason: string; message: string };

export interface RunNowInputs {
  schedule: Schedule;
  cronJob: CronJob | undefined;
  /** jobs are the Schedule's own Jobs (owned by its CronJob). */
  jobs: Job[];
}

/** runRequestToken is the pending run-now token, if there is one not yet handled. */
export function runRequestToken(schedule: Schedule): string | undefined {
  return pendingToken(
    ANNOTATION_RUN_REQUESTED_AT,
    schedule.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT],
    schedule.status?.lastHandledRunRequest,
  );
}

/** decideRunNow decides what a pending run-now request leads to. */
export function decideRunNow({ schedule, cronJob, jobs }: RunNowInputs): RunNowDecision {
  const token = runRequestToken(schedule);
  if (token === undefined) return { action: 'none' };
  const problem = requestTokenProblem(ANNOTATION_RUN_REQUESTED_AT, token);
  if (problem) {
    // decision.token is what status records as handled: the fingerprint, never the bad token itself.
    const refusal = failure(ErrorCode.InvalidToken, { request: 'run', problem });
    return {
      action: 'refuse',
      token: handledTokenKey(ANNOTATION_RUN_REQUESTED_AT, token),
      reason: refusal.reason,
      message: refusal.message,
    };
  }
  if (!cronJob?.metadata.uid) return { action: 'wait', token };
  const name = manualJobName(schedule.metadata.name, schedule.metadata.uid, token);
  // Our own Job for this token counts as done, whatever its state (a retry after a lost status write).
  if (jobs.some((j) => j.metadata.name === name)) return { action: 'create', token, job: manualJob(schedule, cronJob, token) };
  const active = activeJobNames(cronJob, jobs);
  if (active.length) {
    const refusal = failure(ErrorCode.RunActive, { token, active });
    return { action: 'refuse', token, reason: refusal.reason, message: refusal.message };
  }
  return { action: 'create', token, job: manualJob(schedule, cronJob, token) };
}

/** activeJobNames are the running Jobs, from the cache and from the CronJob's own active list. */
export function activeJobNames(cronJob: CronJob | undefined, jobs: Job[]): string[] {
  const names = new Set<string>();
  for (const j of jobs) if (isRunning(j)) names.add(j.metadata.name);
  const finished = new Set(jobs.filter((j) => jobResult(j) !== undefined || j.metadata.deletionTimestamp).map((j) => j.metadata.name));
  for (const a of cronJob?.status?.active ?? []) if (a.name && !finished.has(a.name)) names.add(a.name);
  return [...names].sort();
}

/** manualRunsToAdopt: running manual Jobs controlled by the CronJob that its status.active does not list. */
export function manualRunsToAdopt(cronJob: CronJob | undefined, jobs: Job[]): Job[] {
  const uid = cronJob?.metadata.uid;
  if (!uid) return [];
  const listed = new Set((cronJob.status?.active ?? []).map((a) => a.uid));
  return jobs.filter(
    (j) =>
      jobTrigger(j) === 'Manual' &&
      isRunning(j) &&
      !listed.has(j.metadata.uid) &&
      (j.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true),
  );
}

/** manualJobName is `<schedule>-manual-<10 hex of sha256(uid/token)>`, at most 63 characters. */
export function manualJobName(scheduleName: string, scheduleUid: string, token: string): string {
  const hash = createHash('sha256').update(`${scheduleUid}/${token}`).digest('hex').slice(0, 10);
  const suffix = `-manual-${hash}`;
  const prefix = scheduleName.slice(0, MAX_JOB_NAME - suffix.length).replace(/[-.]+$/, '');
  return `${prefix}${suffix}`;
}

/** manualJob is the Job a run-now request creates: the CronJob's template, labelled Manual, owned by the CronJob. */
export function manualJob(schedule: Schedule, cronJob: CronJob, token: string): Job {
  const template = cronJob.spec.jobTemplate;
  const { namespace, name } = schedule.metadata;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: manualJobName(name, schedule.metadata.uid, token),
      namespace,
      labels: { ...(template.metadata?.labels ?? {}), [LABEL_SCHEDULE]: name, [LABEL_MANAGED_BY]: MANAGER, [LABEL_TRIGGER]: 'Manual' },
      annotations: { ...(template.metadata?.annotations ?? {}), [ANNOTATION_RUN_REQUEST]: token.slice(0, 256) },
      finalizers: [FINALIZER_LEDGER],
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cronJob.metadata.name,
          uid: cronJob.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(template.spec),
  };
}

/** runRequestStatus is what status records about a handled request. */
export function runRequestStatus(decision: Extract<RunNowDecision, { action: 'create' | 'refuse' }>, now: Date): RunRequest {
  const handledTime = toRfc3339(now);
  if (decision.action === 'create') {
    return {
      token: decision.token,
      outcome: 'Started',
      jobName: decision.job.metadata.name,
      message: `started Job ${decision.job.metadata.name}`,
      handledTime,
    };
  }
  return { token: decision.token, outcome: 'Refused', reason: decision.reason, message: decision.message, handledTime };
}
