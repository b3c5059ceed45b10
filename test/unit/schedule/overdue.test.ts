// Overdue (src/schedule/overdue.ts): the dead-man switch on spec.expectSuccessWithin, rules O1-O3.
import { describe, expect, it } from 'vitest';
import { expectSuccessSince, overdue } from '../../../src/schedule/overdue.js';

const now = new Date('2026-01-03T12:00:00Z');

describe('overdue', () => {
  it('O2 a success within the window: Overdue=False, reason SucceededRecently, with the instant it turns True', () => {
    const r = overdue({ expectSuccessWithin: '25h', lastSuccessfulTime: '2026-01-03T03:00:05Z', since: '2026-01-01T00:00:00Z', now })!;
    expect(r.overdue).toBe(false);
    expect(r.overdueAt).toBe('2026-01-04T04:00:05Z');
    expect(r.condition).toMatchObject({ type: 'Overdue', status: 'False', reason: 'SucceededRecently' });
    expect(r.condition.message).toContain('the last run succeeded at 2026-01-03T03:00:05Z');
  });

  it('O1 no success for longer than the window: Overdue=True, reason Overdue, the message names the last success', () => {
    const r = overdue({ expectSuccessWithin: '25h', lastSuccessfulTime: '2026-01-02T03:00:05Z', since: '2026-01-01T00:00:00Z', now })!;
    expect(r.condition).toMatchObject({ type: 'Overdue', status: 'True', reason: 'Overdue' });
    expect(r.condition.message).toMatch(
      /the last run succeeded at 2026-01-02T03:00:05Z, longer ago than spec.expectSuccessWithin \(25h\); overdue since 2026-01-03T04:00:05Z/,
    );
  });

  it('O1/O3 never succeeded: counted from `since` - fires although no run ever started (CronJob controller down, operator was down)', () => {
    expect(overdue({ expectSuccessWithin: '2m', since: '2026-01-03T11:57:00Z', now })!.condition).toMatchObject({
      status: 'True',
      message: expect.stringContaining('no run has succeeded since 2026-01-03T11:57:00Z'),
    });
    expect(overdue({ expectSuccessWithin: '2m', since: '2026-01-03T11:59:00Z', now })).toMatchObject({
      overdue: false,
      overdueAt: '2026-01-03T12:01:00Z',
    });
  });

  it('exactly at the deadline it is overdue', () => {
    expect(
      overdue({ expectSuccessWithin: '1h', lastSuccessfulTime: '2026-01-03T11:00:00Z', since: '2026-01-01T00:00:00Z', now })!.overdue,
    ).toBe(true);
  });

  it('expectSuccessSince: kept once set; the creation for a new Schedule; now when the field is added later; cleared without the field', () => {
    const created = '2026-01-01T00:00:00Z';
    expect(expectSuccessSince(undefined, created, true, now)).toBe(created);
    expect(expectSuccessSince({ observedGeneration: 4 }, created, true, now)).toBe('2026-01-03T12:00:00Z');
    expect(expectSuccessSince({ observedGeneration: 4, expectSuccessSince: '2026-01-02T00:00:00Z' }, created, true, now)).toBe(
      '2026-01-02T00:00:00Z',
    );
    expect(expectSuccessSince({ expectSuccessSince: '2026-01-02T00:00:00Z' }, created, false, now)).toBeUndefined();
  });
});
