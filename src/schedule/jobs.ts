// Reading a Job: how it ended, when, and what started it. Pure functions over the Job's status,
// following the Job controller's conditions (Complete / Failed are terminal).
import { GROUP, type Run, type RunEntry } from '../api/schedule.js';
import type { Job, JobCondition } from '../types/kube.js';

/** The CronJob controller records the slot a Job was started for (Kubernetes >= 1.28). */
export const ANNOTATION_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Jobs started by run-now carry this label (value: Manual). */
export const LABEL_TRIGGER = `${GROUP}/trigger`;
/** `kubectl create job --from=cronjob/x` marks its Jobs with this annotation. */
const ANNOTATION_KUBECTL_MANUAL = 'cronjob.kubernetes.io/instantiate';

function terminalCondition(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** jobResult is Succeeded or Failed for a finished Job, undefined while it runs. */
export function jobResult(job: Job): Run['result'] {
  const c = terminalCondition(job);
  if (!c) return undefined;
  return c.type === 'Complete' ? 'Succeeded' : 'Failed';
}

/** isRunning: the Job has not finished and is not being deleted. */
export const isRunning = (job: Job): boolean => jobResult(job) === undefined && !job.metadata.deletionTimestamp;

/** jobFinishedAt is when a finished Job ended: completionTime, else its terminal condition's time. */
export function jobFinishedAt(job: Job): string | undefined {
  const c = terminalCondition(job);
  if (!c) return undefined;
  return job.status?.completionTime ?? c.lastTransitionTime;
}

/** jobTrigger tells a run-now (or kubectl create job --from) Job from one the CronJob controller started. */
export function jobTrigger(job: Job): Run['trigger'] {
  if (job.metadata.labels?.[LABEL_TRIGGER] === 'Manual') return 'Manual';
  if (job.metadata.annotations?.[ANNOTATION_KUBECTL_MANUAL] === 'manual') return 'Manual';
  return 'Scheduled';
}

/** runKey identifies a run: its Job's uid (a name is reused after a Job is deleted), else the Job name; a slot
 * without a Job (Missed, SkippedOverlap) by its instant. */
export const runKey = (run: RunEntry): string => run.jobUID ?? run.jobName ?? `slot/${run.scheduledTime ?? ''}`;

/** jobRun describes a Job as a run of the ledger (result undefined while it is active). */
export function jobRun(job: Job): Run {
  const c = terminalCondition(job);
  const startTime = job.status?.startTime;
  const completionTime = jobFinishedAt(job);
  const run: Run = { jobName: job.metadata.name, trigger: jobTrigger(job) };
  if (job.metadata.uid) run.jobUID = job.metadata.uid;
  const scheduled = job.metadata.annotations?.[ANNOTATION_SCHEDULED_TIMESTAMP];
  if (scheduled) run.scheduledTime = toRfc3339(scheduled);
  if (startTime) run.startTime = startTime;
  if (completionTime) run.completionTime = completionTime;
  if (startTime && completionTime) {
    run.durationSeconds = Math.max(0, (Date.parse(completionTime) - Date.parse(startTime)) / 1000);
  }
  const result = jobResult(job);
  if (result) run.result = result;
  if (c?.reason) run.reason = c.reason;
  if (c?.message) run.message = c.message;
  return run;
}

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** toRfc3339 formats an instant (Date or parseable string) as RFC3339 UTC without milliseconds. */
export function toRfc3339(t: Date | string): string {
  if (typeof t === 'string' && RFC3339_UTC.test(t)) return t; // already in this form (most API timestamps)
  const d = typeof t === 'string' ? new Date(t) : t;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** newestFirst orders runs by the time they finished (or started), newest first; job name breaks ties. */
export function newestFirst(a: RunEntry, b: RunEntry): number {
  const ta = a.completionTime ?? a.startTime ?? a.scheduledTime ?? '';
  const tb = b.completionTime ?? b.startTime ?? b.scheduledTime ?? '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  const na = a.jobName ?? '';
  const nb = b.jobName ?? '';
  return na < nb ? 1 : na > nb ? -1 : 0;
}
