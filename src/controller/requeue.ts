// When a Schedule is looked at again without an event: the one requeue policy.
//   - a step may ask for a pass after a delay (the earliest ask wins);
//   - one second after the next run starts, so nextRunTime moves on and the new Job is read;
//   - when the first pending slot becomes final (slot decisions' nextDecisionAt), at once when a catch-up
//     decided as many slots as one pass may and more are due;
//   - when spec.expectSuccessWithin runs out without a success (Overdue turns True then, also with no event);
//   - while callbacks are outstanding and the notifier cannot enqueue the Schedule itself, every NOTIFY_POLL_MS;
//   - never later than the periodic resync, and not at all when the resync comes first: it reconciles every
//     Schedule anyway, so a requeue no sooner than it would only double the idle work (measured: 2 reconciles per
//     Schedule per period instead of 1);
//   - a failed pass is retried by the work queue with per-key exponential backoff (src/controller/queue.ts).

/** NOTIFY_POLL_MS: while callbacks are outstanding and the notifier cannot enqueue, look again this often. */
export const NOTIFY_POLL_MS = 1000;

/** MIN_REQUEUE_MS: the soonest a pass asks for the next one (a next run in the past must not spin). */
const MIN_REQUEUE_MS = 1000;

export interface RequeuePolicy {
  /** resyncMs: the periodic resync of every Schedule. */
  resyncMs: number;
  /** notifyPollMs: set when the notifier cannot enqueue finished deliveries, so passes poll for them. */
  notifyPollMs: number | undefined;
}

/** requeuePolicy builds the policy: a notifier that can enqueue needs no polling. */
export function requeuePolicy(resyncMs: number, notifierEnqueues: boolean): RequeuePolicy {
  return { resyncMs, notifyPollMs: notifierEnqueues ? undefined : NOTIFY_POLL_MS };
}

export interface PassEnd {
  /** asked: the earliest delay a step asked for, if any. */
  asked: number | undefined;
  /** nextRunTime: status.nextRunTime after the pass (RFC3339), if the Schedule has a next run. */
  nextRunTime: string | undefined;
  /** callbacksOutstanding: the notifier is busy with, or status lists, callbacks not yet delivered. */
  callbacksOutstanding: boolean;
  now: Date;
  /** slotDecisionAt: when the first pending slot becomes final (RFC3339), if one is pending. */
  slotDecisionAt?: string | undefined;
  /** moreSlots: the pass decided as many slots as one pass may and more are due: look again at once. */
  moreSlots?: boolean | undefined;
  /** overdueAt: when the Schedule turns Overdue without a success (RFC3339); only a future instant asks for a pass. */
  overdueAt?: string | undefined;
}

/** requeueAfterPass: the delay before the next pass of a Schedule whose pass succeeded, or undefined for none. */
export function requeueAfterPass(policy: RequeuePolicy, end: PassEnd): number | undefined {
  const candidates: number[] = [];
  if (end.asked !== undefined) candidates.push(end.asked);
  if (end.nextRunTime)
    candidates.push(Math.max(MIN_REQUEUE_MS, Math.min(Date.parse(end.nextRunTime) - end.now.getTime() + 1000, policy.resyncMs)));
  if (policy.notifyPollMs !== undefined && end.callbacksOutstanding) candidates.push(policy.notifyPollMs);
  if (end.moreSlots) candidates.push(0);
  if (end.slotDecisionAt) candidates.push(at(end.slotDecisionAt, policy, end.now));
  if (end.overdueAt && Date.parse(end.overdueAt) > end.now.getTime()) candidates.push(at(end.overdueAt, policy, end.now));
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** at: the delay until an instant (plus a second, so the pass sees it passed), at least MIN_REQUEUE_MS, at most the resync. */
function at(instant: string, policy: RequeuePolicy, now: Date): number {
  return Math.max(MIN_REQUEUE_MS, Math.min(Date.parse(instant) - now.getTime() + 1000, policy.resyncMs));
}

/** queueDelay: what the work queue is told; nothing when the periodic resync comes no later. */
export function queueDelay(policy: RequeuePolicy, requeueAfterMs: number | undefined): number | undefined {
  return requeueAfterMs !== undefined && requeueAfterMs < policy.resyncMs ? requeueAfterMs : undefined;
}
