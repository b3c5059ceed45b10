// One pass's status, all of it, in the order the parts depend on each other. Pure: the reconciler's summary
// (src/controller/summary.ts) calls it and is the only one that writes the result.
//   1. computeStatus   what the spec, the CronJob and the Jobs say (status.ts)
//   2. applyLedger     this pass's counts (ledger.ts)
//   3. applyFailures   failure details of the runs counted Failed in this pass (history.ts, failures.ts)
//   4. decidePause     pause after failures and resume tokens (pause.ts); a pass that pauses or resumes rebuilds
//                      step 1 with the new state, so nextRunTime and Ready say what the CronJob will do
//   5. overdue         the Overdue condition and status.expectSuccessSince (overdue.ts)
// Slot decisions (slots.ts, history.ts applySlotDecisions) come last, in the summary: whether they are written
// depends on whether anything else changed (a pass that only decided Suspended slots writes nothing).
import { CONDITION_SUSPENDED, setConditions } from '../api/conditions.js';
import type { Run, ScheduleStatus } from '../api/schedule.js';
import { applyFailures, type Retention } from './history.js';
import { toRfc3339 } from './jobs.js';
import { applyLedger, type LedgerState } from './ledger.js';
import { CONDITION_OVERDUE, expectSuccessSince, overdue, type OverdueResult } from './overdue.js';
import { decidePause, suspendedCondition, type PauseDecision } from './pause.js';
import { computeStatus, type StatusInputs } from './status.js';

export interface AccountingInputs extends Omit<StatusInputs, 'paused'> {
  /** ledger: the ledger after this pass's counts (planLedger().next). */
  ledger: LedgerState;
  /** failedRuns: the runs counted Failed in this pass, with their failure details. */
  failedRuns: Run[];
}

export interface Accounted {
  status: ScheduleStatus;
  /** pauseEvent: a pause or resume this pass decided (announce it after the status write). */
  pauseEvent?: PauseDecision['event'];
  /** overdue: the dead-man switch's verdict, when spec.expectSuccessWithin is set. */
  overdue?: OverdueResult;
}

/** retentionOf: how much run history the spec keeps (the count of the persisted history for an invalid spec). */
export function retentionOf(inputs: Pick<StatusInputs, 'validation' | 'schedule'>): Retention {
  const { validation, schedule } = inputs;
  return validation.ok
    ? { limit: validation.spec.runHistoryLimit, maxAge: validation.spec.runHistoryMaxAge }
    : { limit: schedule.status?.recentRuns?.length ?? 10 };
}

/** accountedStatus is the status of one pass before its slot decisions (see the header). */
export function accountedStatus(inputs: AccountingInputs): Accounted {
  const { schedule, validation, now, ledger, failedRuns, applyError } = inputs;
  const prev = schedule.status ?? {};
  const retention = retentionOf(inputs);
  const build = (paused: boolean) => applyFailures(applyLedger(computeStatus({ ...inputs, paused }), ledger), failedRuns, retention, now);
  const wasPaused = prev.pause !== undefined;
  let status = build(wasPaused);
  // An invalid spec says nothing about pausing or overdue: what was persisted stays as it is.
  if (!validation.ok) return { status };

  const decision = decidePause({ schedule, pauseAfter: validation.spec.pauseAfterConsecutiveFailures, status, now });
  if ((decision.pause !== undefined) !== wasPaused) status = build(decision.pause !== undefined);
  setOrDelete(status, 'pause', decision.pause);
  setOrDelete(status, 'lastHandledResumeRequest', decision.lastHandledResumeRequest);
  setOrDelete(status, 'lastResume', decision.lastResume);
  const generation = schedule.metadata.generation;
  const nowText = toRfc3339(now);
  if (!applyError) {
    // Against the persisted conditions, so its lastTransitionTime moves only when Suspended really changed (step 1
    // computed a Suspended from spec.suspend alone).
    const suspended = setConditions(
      prev.conditions,
      [suspendedCondition(validation.spec.suspend, decision.pause)],
      generation,
      nowText,
    ).find((c) => c.type === CONDITION_SUSPENDED)!;
    const conditions = status.conditions ?? [];
    status.conditions = conditions.some((c) => c.type === CONDITION_SUSPENDED)
      ? conditions.map((c) => (c.type === CONDITION_SUSPENDED ? suspended : c))
      : [...conditions, suspended];
  }

  const out: Accounted = { status, ...(decision.event ? { pauseEvent: decision.event } : {}) };
  const window = validation.spec.expectSuccessWithin;
  const since = expectSuccessSince(prev, schedule.metadata.creationTimestamp ?? nowText, window !== undefined, now);
  const verdict =
    window !== undefined && since !== undefined
      ? overdue({ expectSuccessWithin: window, lastSuccessfulTime: status.lastSuccessfulTime, since, now })
      : undefined;
  if (verdict && since) {
    status.expectSuccessSince = since;
    status.conditions = setConditions(status.conditions, [verdict.condition], generation, nowText);
    out.overdue = verdict;
  } else {
    delete status.expectSuccessSince;
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== CONDITION_OVERDUE);
  }
  return out;
}

function setOrDelete<K extends keyof ScheduleStatus>(status: ScheduleStatus, key: K, value: ScheduleStatus[K] | undefined): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}
