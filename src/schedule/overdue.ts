// Overdue: a dead-man switch on spec.expectSuccessWithin. Pure: the clock is an argument.
//   O1 no success for expectSuccessWithin, counted from the last success, or (none yet) from `since` -
//      the Schedule's creation, or when the field was set -> Overdue=True, reason Overdue
//   O2 otherwise Overdue=False, reason SucceededRecently, with the instant it turns True (requeue then)
//   O3 the check needs no run and no Job: it fires also when the operator was down across the deadline
//      (the next pass sees the time) and when the CronJob controller never started anything.
// A suspended or paused Schedule is not exempt: no success for that long is what the switch reports.
import type { ConditionInput } from '../api/conditions.js';
import { toRfc3339 } from './jobs.js';
import { parseDuration } from './duration.js';

export const CONDITION_OVERDUE = 'Overdue';
export const OverdueReason = { Overdue: 'Overdue', SucceededRecently: 'SucceededRecently' } as const;

export interface OverdueInputs {
  /** expectSuccessWithin: spec.expectSuccessWithin (validated). */
  expectSuccessWithin: string;
  /** lastSuccessfulTime: status.lastSuccessfulTime. */
  lastSuccessfulTime?: string | undefined;
  /** since: status.expectSuccessSince (see expectSuccessSince). */
  since: string;
  now: Date;
}

export interface OverdueResult {
  condition: ConditionInput;
  overdue: boolean;
  /** overdueAt: when no success makes (or made) the Schedule overdue; requeue at this instant while it is in the future. */
  overdueAt: string;
}

/** overdue decides the Overdue condition; undefined for an unparseable duration (validateSpec refuses those). */
export function overdue({ expectSuccessWithin, lastSuccessfulTime, since, now }: OverdueInputs): OverdueResult | undefined {
  const window = parseDuration(expectSuccessWithin);
  if (window === undefined) return undefined;
  const success = lastSuccessfulTime && Number.isFinite(Date.parse(lastSuccessfulTime)) ? lastSuccessfulTime : undefined;
  const reference = success ?? since;
  const overdueAtMs = Date.parse(reference) + window * 1000;
  const overdueAt = toRfc3339(new Date(overdueAtMs));
  const last = success ? `the last run succeeded at ${toRfc3339(success)}` : `no run has succeeded since ${toRfc3339(since)}`;
  if (now.getTime() >= overdueAtMs) {
    return {
      overdue: true,
      overdueAt,
      condition: {
        type: CONDITION_OVERDUE,
        status: 'True',
        reason: OverdueReason.Overdue,
        message: `${last}, longer ago than spec.expectSuccessWithin (${expectSuccessWithin}); overdue since ${overdueAt}. Check recentRuns, recentFailures and the Missed slots`,
      },
    };
  }
  return {
    overdue: false,
    overdueAt,
    condition: {
      type: CONDITION_OVERDUE,
      status: 'False',
      reason: OverdueReason.SucceededRecently,
      message: `${last}; overdue at ${overdueAt} unless a run succeeds (spec.expectSuccessWithin ${expectSuccessWithin})`,
    },
  };
}

/**
 * expectSuccessSince is the status.expectSuccessSince to persist: kept once set; else the Schedule's creation
 * for a Schedule seen for the first time, or `now` when the field appears on a Schedule that already had a
 * status. Undefined (clear it, and drop the Overdue condition) when the spec has no expectSuccessWithin.
 */
export function expectSuccessSince(
  status: { expectSuccessSince?: string | undefined; observedGeneration?: number | undefined } | undefined,
  creationTime: string,
  hasField: boolean,
  now: Date,
): string | undefined {
  if (!hasField) return undefined;
  if (status?.expectSuccessSince) return status.expectSuccessSince;
  return status?.observedGeneration !== undefined ? toRfc3339(now) : toRfc3339(creationTime);
}
