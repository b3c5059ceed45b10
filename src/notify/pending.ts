// status.notify: which finished runs still owe a callback. Pure. The ledger's counted runs enter
// `pending` in the same status write that counts them (so a crash cannot lose a callback), and leave
// it once the notifier reports them delivered.
import { RUN_RESULTS, type NotifySpec, type NotifyStatus, type Run } from '../api/schedule.js';
import { runKey } from '../schedule/jobs.js';
import type { NotifyReport } from './notifier.js';

export const MAX_PENDING = 50;

/** wants tells whether spec.notify asks for a callback for this run's result (default: both results). */
export function wants(spec: NotifySpec, run: Run): boolean {
  return run.result !== undefined && (spec.on ?? RUN_RESULTS).includes(run.result);
}

/** nextNotifyStatus folds newly counted runs and delivery results into status.notify. */
export function nextNotifyStatus(
  prev: NotifyStatus | undefined,
  spec: NotifySpec | undefined,
  counted: Run[],
  report: NotifyReport,
): NotifyStatus | undefined {
  if (!spec) return undefined;
  const delivered = new Set(report.delivered.map((d) => d.uid));
  const known = new Set((prev?.pending ?? []).map(runKey));
  let pending = [...(prev?.pending ?? []), ...counted.filter((r) => wants(spec, r) && !known.has(runKey(r)))].filter(
    (r) => !delivered.has(runKey(r)),
  );
  let dropped = prev?.dropped ?? 0;
  if (pending.length > MAX_PENDING) {
    dropped += pending.length - MAX_PENDING;
    pending = pending.slice(pending.length - MAX_PENDING);
  }
  const out: NotifyStatus = {};
  if (pending.length) out.pending = pending;
  const last = report.delivered.reduce<{ uid: string; time: string } | undefined>((a, d) => (!a || d.time >= a.time ? d : a), undefined);
  const lastUid = last?.uid ?? prev?.lastDeliveredJobUID;
  const lastTime = last?.time ?? prev?.lastDeliveredTime;
  if (lastUid) out.lastDeliveredJobUID = lastUid;
  if (lastTime) out.lastDeliveredTime = lastTime;
  const lastError =
    report.delivered.length && !report.lastError ? undefined : (report.lastError ?? (report.busy ? prev?.lastError : undefined));
  if (lastError) out.lastError = lastError;
  if (dropped) out.dropped = dropped;
  return out;
}
