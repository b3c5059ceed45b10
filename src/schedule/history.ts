// What people see of past runs and slots (docs/ledger.md, "History"):
//   H1 status.recentRuns lists finished runs and the slots that did not run (Missed, SkippedOverlap; not
//      Suspended, which would flood it while a Schedule is suspended), newest first, one entry per Job or slot,
//      at most spec.runHistoryLimit and none older than spec.runHistoryMaxAge (by completion, else start, else slot)
//   H2 status.recentFailures keeps the last RECENT_FAILURES_LIMIT failed runs apart, not aged, so a burst of
//      successes or missed slots never pushes the last failures out of sight
//   H2' failure details (failures.ts) reach recentRuns, lastRun and recentFailures together (applyFailures)
//   H3 slot decisions land in status with the counters: runs.missed += Missed, runs.skipped += SkippedOverlap,
//      lastMissedTime, status.slots - all in the one status write the pass makes
// Pure.
import type { Run, RunEntry, ScheduleStatus } from '../api/schedule.js';
import { mergeFailures } from './failures.js';
import { parseDuration } from './duration.js';
import { newestFirst, runKey, toRfc3339 } from './jobs.js';
import type { SlotDecisions, SlotRecord } from './slots.js';

export interface Retention {
  /** limit: spec.runHistoryLimit. */
  limit: number;
  /** maxAge: spec.runHistoryMaxAge (a duration), if set. */
  maxAge?: string | undefined;
}

/** entryTime is the instant an entry is aged by. */
const entryTime = (e: RunEntry): string | undefined => e.completionTime ?? e.startTime ?? e.scheduledTime;

/** retainRuns merges entries (later ones win, keeping fields only earlier ones had), newest first, bounded by count and age (H1). */
export function retainRuns(previous: RunEntry[] | undefined, observed: RunEntry[], retention: Retention, now: Date): RunEntry[] {
  const byKey = new Map<string, RunEntry>();
  for (const e of previous ?? []) byKey.set(runKey(e), e);
  for (const e of observed) byKey.set(runKey(e), { ...byKey.get(runKey(e)), ...e });
  const maxAge = retention.maxAge ? parseDuration(retention.maxAge) : undefined;
  const oldest = maxAge !== undefined ? now.getTime() - maxAge * 1000 : -Infinity;
  return [...byKey.values()]
    .filter((e) => {
      const t = Date.parse(entryTime(e) ?? '');
      return !Number.isFinite(t) || t >= oldest;
    })
    .sort(newestFirst)
    .slice(0, retention.limit);
}

/** slotEntry is the recentRuns entry of a slot that did not run; undefined for Ran and Suspended (H1). */
export function slotEntry(record: SlotRecord): RunEntry | undefined {
  if (record.outcome !== 'Missed' && record.outcome !== 'SkippedOverlap') return undefined;
  return { trigger: 'Scheduled', scheduledTime: record.slot, outcome: record.outcome, reason: record.reason, message: record.message };
}

/** applySlotDecisions writes one pass's slot decisions into a status the ledger has already updated (H3). */
export function applySlotDecisions(status: ScheduleStatus, decisions: SlotDecisions, retention: Retention, now: Date): ScheduleStatus {
  const out: ScheduleStatus = { ...status, slots: decisions.state };
  const missed = decisions.counts.Missed;
  const skipped = decisions.counts.SkippedOverlap;
  const runs = status.runs ?? { total: 0, succeeded: 0, failed: 0 };
  out.runs = { ...runs, missed: (runs.missed ?? 0) + missed, skipped: (runs.skipped ?? 0) + skipped };
  if (decisions.lastMissedTime && (!status.lastMissedTime || Date.parse(decisions.lastMissedTime) > Date.parse(status.lastMissedTime))) {
    out.lastMissedTime = toRfc3339(decisions.lastMissedTime);
  }
  const entries = decisions.decided.map(slotEntry).filter((e): e is RunEntry => e !== undefined);
  const recent = retainRuns(status.recentRuns, entries, retention, now);
  if (recent.length) out.recentRuns = recent;
  else delete out.recentRuns;
  return out;
}

/**
 * applyFailures records failed runs (with their failure details, failures.ts) in recentRuns (the entry of the same Job
 * is updated, not duplicated), in lastRun when it is the same Job, and in recentFailures (H2).
 */
export function applyFailures(status: ScheduleStatus, failed: Run[], retention: Retention, now: Date): ScheduleStatus {
  if (!failed.length) return status;
  const out: ScheduleStatus = { ...status };
  const recent = retainRuns(status.recentRuns, failed, retention, now);
  if (recent.length) out.recentRuns = recent;
  const last = status.lastRun && failed.find((r) => runKey(r) === runKey(status.lastRun!));
  if (last) out.lastRun = { ...status.lastRun!, ...last };
  const failures = mergeFailures(status.recentFailures, failed);
  if (failures.length) out.recentFailures = failures;
  return out;
}
