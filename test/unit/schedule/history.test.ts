// History (src/schedule/history.ts): recentRuns by count and age with slot entries (H1), counters from slot decisions (H3).
import { describe, expect, it } from 'vitest';
import type { RunEntry } from '../../../src/api/schedule.js';
import { applyFailures, applySlotDecisions, retainRuns, slotEntry } from '../../../src/schedule/history.js';
import { emptyCounts, type SlotDecisions } from '../../../src/schedule/slots.js';

const now = new Date('2026-02-01T00:00:00Z');
const run = (name: string, completionTime: string, result: 'Succeeded' | 'Failed' = 'Succeeded'): RunEntry => ({
  jobName: name,
  jobUID: `u-${name}`,
  trigger: 'Scheduled',
  result,
  completionTime,
});
const missed = (slot: string): RunEntry => ({
  trigger: 'Scheduled',
  scheduledTime: slot,
  outcome: 'Missed',
  reason: 'NotStarted',
  message: 'm',
});

describe('history retention', () => {
  it('H1 newest first, bounded by runHistoryLimit, missed and skipped slots beside finished runs', () => {
    const kept = retainRuns(
      [run('a', '2026-01-31T01:00:00Z'), missed('2026-01-31T02:00:00Z')],
      [run('b', '2026-01-31T03:00:00Z')],
      { limit: 2 },
      now,
    );
    expect(kept.map((e) => e.jobName ?? e.outcome)).toEqual(['b', 'Missed']);
  });

  it('H1 runHistoryMaxAge drops entries older than the age (by completion, else start, else slot)', () => {
    const entries = [
      run('new', '2026-01-25T00:00:00Z'),
      run('old', '2025-12-01T00:00:00Z'),
      missed('2026-01-29T00:00:00Z'),
      missed('2025-12-30T00:00:00Z'),
    ];
    const kept = retainRuns(entries, [], { limit: 100, maxAge: '30d' }, now);
    expect(kept.map((e) => e.jobName ?? e.scheduledTime)).toEqual(['2026-01-29T00:00:00Z', 'new']);
  });

  it('H1 a newer description of the same Job keeps fields only the older one had (failure details)', () => {
    const kept = retainRuns(
      [{ ...run('a', '2026-01-31T01:00:00Z', 'Failed'), exitCode: 137, containerReason: 'OOMKilled' }],
      [run('a', '2026-01-31T01:00:00Z', 'Failed')],
      { limit: 10 },
      now,
    );
    expect(kept).toEqual([{ ...run('a', '2026-01-31T01:00:00Z', 'Failed'), exitCode: 137, containerReason: 'OOMKilled' }]);
  });

  it('H1 Ran and Suspended slots make no entry of their own', () => {
    expect(slotEntry({ slot: 's', outcome: 'Ran', reason: 'Started', message: '' })).toBeUndefined();
    expect(slotEntry({ slot: 's', outcome: 'Suspended', reason: 'Suspended', message: '' })).toBeUndefined();
    expect(slotEntry({ slot: 's', outcome: 'SkippedOverlap', reason: 'RunActive', message: 'x' })).toEqual({
      trigger: 'Scheduled',
      scheduledTime: 's',
      outcome: 'SkippedOverlap',
      reason: 'RunActive',
      message: 'x',
    });
  });

  it('H3 slot decisions add to runs.missed and runs.skipped, move lastMissedTime forward only, and persist status.slots', () => {
    const decisions: SlotDecisions = {
      state: { watermark: '2026-01-31T23:59:00Z' },
      decided: [
        { slot: '2026-01-31T23:58:00Z', outcome: 'Missed', reason: 'NotStarted', message: 'm' },
        { slot: '2026-01-31T23:59:00Z', outcome: 'SkippedOverlap', reason: 'RunActive', message: 's' },
      ],
      omitted: 0,
      counts: { ...emptyCounts(), Missed: 1, SkippedOverlap: 1 },
      lastMissedTime: '2026-01-31T23:58:00Z',
      more: false,
      changed: true,
    };
    const out = applySlotDecisions(
      { runs: { total: 4, succeeded: 4, failed: 0, missed: 2 }, lastMissedTime: '2026-01-01T00:00:00Z' },
      decisions,
      { limit: 10 },
      now,
    );
    expect(out.runs).toEqual({ total: 4, succeeded: 4, failed: 0, missed: 3, skipped: 1 });
    expect(out.lastMissedTime).toBe('2026-01-31T23:58:00Z');
    expect(out.slots).toEqual({ watermark: '2026-01-31T23:59:00Z' });
    expect(out.recentRuns?.map((e) => e.outcome)).toEqual(['SkippedOverlap', 'Missed']);
    const older = applySlotDecisions(
      out,
      { ...decisions, counts: emptyCounts(), decided: [], lastMissedTime: '2026-01-15T00:00:00Z' },
      { limit: 10 },
      now,
    );
    expect(older.lastMissedTime).toBe('2026-01-31T23:58:00Z');
    expect(older.runs).toEqual(out.runs);
  });
});

describe('failures in status', () => {
  it("H2' failure details reach the Job's recentRuns entry, lastRun and recentFailures, without duplicates", () => {
    const failed = {
      ...run('a', '2026-01-31T01:00:00Z', 'Failed'),
      exitCode: 137,
      containerReason: 'OOMKilled',
    } as import('../../../src/api/schedule.js').Run;
    const base = {
      recentRuns: [run('a', '2026-01-31T01:00:00Z', 'Failed'), run('b', '2026-01-30T01:00:00Z')],
      lastRun: run('a', '2026-01-31T01:00:00Z', 'Failed') as import('../../../src/api/schedule.js').Run,
    };
    const out = applyFailures(base, [failed], { limit: 10 }, now);
    expect(out.recentRuns).toEqual([failed, run('b', '2026-01-30T01:00:00Z')]);
    expect(out.lastRun).toEqual(failed);
    expect(out.recentFailures).toEqual([failed]);
    expect(applyFailures(base, [], { limit: 10 }, now)).toBe(base);
  });
});
