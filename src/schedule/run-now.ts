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
import { ANNOTATION_RESUME_REQUESTED_AT, ANNOTATION_RUN_REQUESTED_AT, FINALIZER_LEDGER, GROUP, LABEL_MANAGED_BY, LABEL_SCHEDULE, MANAGER, type RunRequest, type Schedule } from '../api/schedule.js';
import { ErrorCode, failure } from '../errors.js';
import type { CronJob, Job } from '../types/kube.js';
import { isRunning, jobResult, jobTrigger, LABEL_TRIGGER, toRfc3339 } from './jobs.js';

/** Manual Jobs record the token they were started for. */
export const ANNOTATION_RUN_REQUEST = `${GROUP}/run-request`;
/**
 * MAX_TOKEN_LENGTH: a request token (run-requested-at, resume-requested-at) is at most this many printable
 * characters - room for any timestamp or commit id, and the length of a DNS name, so it fits everywhere it is
 * copied (status, an Event, the Job's annotation).
 */
export const MAX_TOKEN_LENGTH = 253;

/** The command that sets each token annotation, named in the fix. */
const TOKEN_COMMANDS: Record<string, string> = { [ANNOTATION_RUN_REQUESTED_AT]: 'run', [ANNOTATION_RESUME_REQUESTED_AT]: 'resume' };

// Control characters (newline, tab, NUL, DEL, C1), format characters (bidi overrides, zero-width) and the
// Unicode line and paragraph separators: they break one-line messages and logs, or hide what a token says.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * requestTokenProblem is the one token rule, for the webhook (refused at kubectl apply) and the operator (the
 * request is refused in status when the webhook was bypassed): undefined for a good token, else a message that
 * names the annotation and the fix. An empty value is no request at all and is not judged here.
 */
export function requestTokenProblem(annotation: string, token: string): string | undefined {
  const command = TOKEN_COMMANDS[annotation] ?? 'run';
  const fix = `set it to a new, short value such as the current time in RFC 3339 (\`schedule-operator ${command} <name>\` does that)`;
  const where = `metadata.annotations["${annotation}"]`;
  let length = 0;
  for (const _ of token) if (++length > MAX_TOKEN_LENGTH) break;
  if (length > MAX_TOKEN_LENGTH) {
    return `${where}: the token is ${token.length} characters long; a token is at most ${MAX_TOKEN_LENGTH} printable characters: ${fix}`;
  }
  const bad = UNPRINTABLE.exec(token);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `${where}: the token contains the unprintable character U+${code} at position ${bad.index}; a token is at most ${MAX_TOKEN_LENGTH} printable characters (no newlines, tabs or other control characters): ${fix}`;
  }
  return undefined;
}

/**
 * handledTokenKey is what status records as handled for a token: the token itself, or for a refused bad token
 * a fingerprint ("sha256:<hex>"), so status never copies 10 KiB or control characters, yet the same bad token
 * is not refused again on every pass.
 */
export function handledTokenKey(annotation: string, token: string): string {
  if (requestTokenProblem(annotation, token) === undefined) return token;
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** pendingToken is an annotation's token when it asks for something not yet handled (status records `handled`). */
export function pendingToken(annotation: string, token: string | undefined, handled: string | undefined): string | undefined {
  if (!token || token === handled || (handled?.startsWith('sha256:') && handledTokenKey(annotation, token) === handled)) return undefined;
  return token;
}

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
  return pendingToken(ANNOTATION_RUN_REQUESTED_AT, schedule.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT], schedule.status?.lastHandledRunRequest);
}

/** decideRunNow decides what a pending run-now request leads to. */
export function decideRunNow({ schedule, cronJob, jobs }: RunNowInputs): RunNowDecision {
  const token = runRequestToken(schedule);
  if (token === undefined) return { action: 'none' };
  const problem = requestTokenProblem(ANNOTATION_RUN_REQUESTED_AT, token);
  if (problem) {
    // decision.token is what status records as handled: the fingerprint, never the bad token itself.
    const refusal = failure(ErrorCode.InvalidToken, { problem });
    return { action: 'refuse', token: handledTokenKey(ANNOTATION_RUN_REQUESTED_AT, token), reason: refusal.reason, message: refusal.message };
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
        { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid!, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: structuredClone(template.spec),
  };
}

/** runRequestStatus is what status records about a handled request. */
export function runRequestStatus(decision: Extract<RunNowDecision, { action: 'create' | 'refuse' }>, now: Date): RunRequest {
  const handledTime = toRfc3339(now);
  if (decision.action === 'create') {
    return { token: decision.token, outcome: 'Started', jobName: decision.job.metadata.name, message: `started Job ${decision.job.metadata.name}`, handledTime };
  }
  return { token: decision.token, outcome: 'Refused', reason: decision.reason, message: decision.message, handledTime };
}
