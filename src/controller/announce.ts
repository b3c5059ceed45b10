// What a status write announces, once it succeeded (src/controller/summary.ts calls this after the write, never
// before and never after a failed one): one Event per missed or skipped slot it decided, the pause or resume it
// recorded, the Overdue transition, and the slot counter. A crash after the write loses these Events, never
// doubles them: the next pass starts from the written watermark and decides nothing again.
import { findCondition } from '../api/conditions.js';
import type { ScheduleStatus } from '../api/schedule.js';
import type { EventRecord } from '../types/kube.js';
import type { Accounted } from '../schedule/accounting.js';
import { CONDITION_OVERDUE, OverdueReason } from '../schedule/overdue.js';
import { SlotEventReason, slotEvents, type SlotDecisions } from '../schedule/slots.js';
import type { Pass } from './pass.js';

/** SLOT_EVENTS_PER_PASS: at most this many per-slot Events per pass (the newest); one summary Event names the rest. */
export const SLOT_EVENTS_PER_PASS = 20;

type Record = (pass: Pass, event: EventRecord) => Promise<number>;

/** announce emits the Events and moves the metrics of what the pass's status write persisted; returns the writes. */
export async function announce(pass: Pass, accounted: Accounted, written: ScheduleStatus, record: Record): Promise<number> {
  const { namespace, name } = pass.observed.schedule.metadata;
  const events: EventRecord[] = [];
  if (pass.slotsWritten && pass.slots) {
    pass.deps.runMetrics?.slots(namespace, name, pass.slots.counts);
    events.push(...cappedSlotEvents(pass.slots));
  }
  if (accounted.pauseEvent) events.push({ ...accounted.pauseEvent, action: 'PauseAfterFailures' });
  const overdue = overdueTransition(pass.observed.schedule.status, written);
  if (overdue) events.push(overdue);
  let writes = 0;
  for (const event of events) writes += await record(pass, event);
  return writes;
}

/** cappedSlotEvents: slotEvents, at most SLOT_EVENTS_PER_PASS per-slot Events (the newest) and one summary for the rest. */
export function cappedSlotEvents(decisions: SlotDecisions, cap = SLOT_EVENTS_PER_PASS): EventRecord[] {
  const perSlot = slotEvents({ ...decisions, omitted: 0 });
  const unlisted = decisions.omitted + Math.max(0, perSlot.length - cap);
  const listed = perSlot.slice(Math.max(0, perSlot.length - cap));
  if (unlisted === 0) return listed;
  const c = decisions.counts;
  const summary: EventRecord = {
    type: 'Warning',
    reason: c.Missed > 0 ? SlotEventReason.Missed : SlotEventReason.SkippedOverlap,
    action: 'DecideSlots',
    message: `${unlisted} more slots decided than these Events list (in all this pass: ${c.Ran} ran, ${c.Missed} missed, ${c.SkippedOverlap} skipped, ${c.Suspended} suspended); see status.runs and status.recentRuns`,
  };
  return [summary, ...listed];
}

/** overdueTransition: an Event when Overdue turned True, or turned False after being True (not when it first appears False). */
function overdueTransition(before: ScheduleStatus | undefined, after: ScheduleStatus): EventRecord | undefined {
  const was = findCondition(before?.conditions, CONDITION_OVERDUE);
  const now = findCondition(after.conditions, CONDITION_OVERDUE);
  if (!now || now.status === was?.status) return undefined;
  if (now.status === 'True') return { type: 'Warning', reason: OverdueReason.Overdue, message: now.message, action: 'CheckOverdue' };
  if (was?.status === 'True')
    return { type: 'Normal', reason: OverdueReason.SucceededRecently, message: now.message, action: 'CheckOverdue' };
  return undefined;
}
