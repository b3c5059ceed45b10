// The status summary: the only status writer, run at the end of every pass (src/controller/reconcile.ts), also
// when a step failed. It also emits the Events of transitions and of handled run requests, and (announce.ts) the
// Events and metrics of the slots, pause and Overdue it wrote - all only after the write succeeded.
import { CONDITION_READY, findCondition, Reason } from '../api/conditions.js';
import type { Run, RunRequest, ScheduleStatus } from '../api/schedule.js';
import { ErrorCode, RUN_REFUSED, type FailedPass } from '../errors.js';
import { calls, classify } from '../kube/classify.js';
import type { EventRecord } from '../types/kube.js';
import type { Notifier } from '../notify/notifier.js';
import { nextNotifyStatus } from '../notify/pending.js';
import { accountedStatus, retentionOf, type Accounted } from '../schedule/accounting.js';
import { applySlotDecisions } from '../schedule/history.js';
import { runKey } from '../schedule/jobs.js';
import { statusAfterFailedPass } from '../schedule/status.js';
import { announce } from './announce.js';
import { asFailedPass, attempt, type Pass } from './pass.js';

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
  let accounted: Accounted | undefined;
  deps.runMetrics?.seen(namespace, name);
  try {
    if (failed) throw failed;
    accounted = goodStatus(pass, report);
    status = await pruneCounted(pass, accounted.status);
  } catch (err) {
    accounted = undefined;
    failed = asFailedPass(err, pass);
    status = statusAfterFailedPass(schedule, failed.failure, deps.now());
  }
  pass.status = status;
  pass.overdueAt = accounted?.overdue?.overdueAt;
  pass.slotsWritten = accounted !== undefined && pass.slots !== undefined && status.slots === pass.slots.state;
  if (sameJson(status, schedule.status ?? {})) return failed;
  try {
    // Guarded by resourceVersion: a 409 throws, nothing was counted, the retry recomputes from fresh status.
    const written = await attempt(calls.updateScheduleStatus(namespace, name), () => deps.kube.updateScheduleStatus(schedule, status));
    deps.statusWritten?.(written);
  } catch (err) {
    const writeFailed = asFailedPass(err, pass);
    if (writeFailed.failure.code === ErrorCode.Conflict) deps.statusConflict?.();
    pass.log.warn({ err: writeFailed.message, code: writeFailed.failure.code }, 'status not written; retrying with backoff');
    return failed ?? writeFailed;
  }
  pass.writes++;
  pass.log.debug({ observedGeneration: status.observedGeneration, counted: failed ? 0 : pass.ledger.counted.length }, 'status updated');
  if (!failed && pass.ledger.counted.length) deps.runMetrics?.counted(namespace, name, countedRuns(pass));
  if (!failed && report.delivered.length)
    deps.notifier?.forget(
      pass.key,
      report.delivered.map((d) => d.uid),
    );
  pass.writes += await recordTransition(pass, status);
  if (!failed && pass.runRequest) pass.writes += await recordRunRequest(pass, pass.runRequest);
  if (accounted) pass.writes += await announce(pass, accounted, status, tryRecordEvent);
  return failed;
}

/** countedRuns: the runs this pass counts, the failed ones with their failure details (readFailedPods). */
function countedRuns(pass: Pass): Run[] {
  const details = new Map(pass.failedRuns.map((r) => [runKey(r), r]));
  return pass.ledger.counted.map((r) => details.get(runKey(r)) ?? r);
}

/**
 * goodStatus: the status rebuilt from the observation and what the steps learned (src/schedule/accounting.ts), with
 * this pass's counts, the run request and callbacks, and the slot decisions. The slot decisions are left out when
 * they alone would cause a write that is not worth one (only Suspended slots decided: a later pass decides them again).
 */
function goodStatus(pass: Pass, report: ReturnType<Notifier['report']>): Accounted {
  const { schedule } = pass.observed;
  const { validation, ledger } = pass;
  const now = pass.deps.now();
  const accounted = accountedStatus({
    schedule,
    validation,
    cronJob: pass.cronJob,
    jobs: pass.jobs,
    now,
    applyError: pass.cronJobProblem,
    ledger: ledger.next,
    failedRuns: pass.failedRuns,
  });
  const status = accounted.status;
  if (pass.runRequest) {
    status.lastHandledRunRequest = pass.runRequest.token;
    status.lastRunRequest = pass.runRequest;
  }
  const notify = validation.ok
    ? nextNotifyStatus(schedule.status?.notify, validation.spec.notify, countedRuns(pass), report)
    : schedule.status?.notify;
  if (notify && Object.keys(notify).length) status.notify = notify;
  else delete status.notify;
  const slots = pass.slots;
  if (!slots || (!slots.changed && sameJson(status, schedule.status ?? {}))) return accounted;
  return { ...accounted, status: applySlotDecisions(status, slots, retentionOf({ validation, schedule }), now) };
}

/** pruneCounted: when the status is written anyway, ledger rule R6 drops recorded Jobs the API server (not the cache) says are gone. */
async function pruneCounted(pass: Pass, status: ScheduleStatus): Promise<ScheduleStatus> {
  const { schedule } = pass.observed;
  const { namespace } = schedule.metadata;
  if (sameJson(status, schedule.status ?? {})) return status; // no write, so nothing is pruned (R6)
  const gone = new Set<string>();
  for (const c of pass.ledger.forgetIfGone) {
    const job = await attempt(calls.getJob(namespace, c.name), () => pass.deps.kube.getJob(namespace, c.name));
    if (!job || job.metadata.uid !== c.uid) gone.add(c.uid);
  }
  if (!gone.size) return status;
  const out: ScheduleStatus = { ...status }; // only countedJobs changes: the counts (with this pass's slots) stay
  const kept = (status.countedJobs ?? []).filter((c) => !gone.has(c.uid));
  if (kept.length) out.countedJobs = kept;
  else delete out.countedJobs;
  return out;
}

async function recordRunRequest(pass: Pass, request: RunRequest): Promise<number> {
  const started = request.outcome === 'Started';
  return tryRecordEvent(pass, {
    type: started ? 'Normal' : 'Warning',
    reason: started ? Reason.RunStarted : RUN_REFUSED,
    message: request.message ?? '',
    action: 'RunNow',
  });
}

/** recordTransition emits an Event when the Ready condition changed status, reason or message (transitions only). */
async function recordTransition(pass: Pass, status: ScheduleStatus): Promise<number> {
  const before = findCondition(pass.observed.schedule.status?.conditions, CONDITION_READY);
  const after = findCondition(status.conditions, CONDITION_READY);
  if (!after || (before?.status === after.status && before.reason === after.reason && before.message === after.message)) return 0;
  if (after.status === 'True' && before?.status === 'True') return 0; // a new next-run time is not news
  const warning = after.status !== 'True';
  return tryRecordEvent(pass, {
    type: warning ? 'Warning' : 'Normal',
    reason: after.reason,
    message: after.message,
    action: warning ? 'Validate' : 'Reconcile',
  });
}

/**
 * tryRecordEvent creates an Event; Events are for people, so a failure is logged, not retried. Returns the writes
 * made. In the operator process recordEvent only queues the Event (src/kube/event-sender.ts sends it and logs a
 * failure), so 1 means queued; schedule_operator_api_writes_total counts what the API server accepted.
 */
export async function tryRecordEvent(pass: Pass, event: EventRecord): Promise<number> {
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
