// Run metrics that agree with the ledger: schedule_operator_runs_total grows exactly when the ledger
// counts a run, i.e. after the status write that records it succeeded (never on a 409), and
// schedule_operator_last_run_timestamp_seconds is the finish time of the newest counted run.
// After a restart the counter starts again from zero (a Prometheus counter reset); status.runs is the
// durable total.
// schedule_operator_slots_total{namespace,schedule,outcome} grows by the slot decisions a status write persisted
// (the same write, the same rule). Each outcome of a Schedule is exported at 0 from its first pass in this process,
// so increase() sees the first Missed slot (a series born at 1 would show no increase).
import { RUN_RESULTS, SLOT_OUTCOMES, TRIGGERS, type Run, type SlotOutcome } from './api/schedule.js';
import { SCHEDULE_LABELS, type Metrics } from './metrics.js';

export interface RunMetrics {
  /** counted records runs the ledger has just persisted. */
  counted(namespace: string, schedule: string, runs: Run[]): void;
  /** seen exports each slot outcome of a Schedule at 0 (idempotent); call it on every pass. */
  seen(namespace: string, schedule: string): void;
  /** slots adds the slot decisions a status write has just persisted. */
  slots(namespace: string, schedule: string, counts: Record<SlotOutcome, number>): void;
  /** forget removes a deleted Schedule's series. */
  forget(namespace: string, schedule: string): void;
}

const RUNS = 'schedule_operator_runs_total';
const LAST = 'schedule_operator_last_run_timestamp_seconds';
const SLOTS = 'schedule_operator_slots_total';

/** runMetrics registers (once per Metrics) and returns the run metrics, in its SeriesTable. */
export function runMetrics(metrics: Pick<Metrics, 'series' | 'perSchedule'>): RunMetrics {
  const { series, perSchedule } = metrics;
  const per = perSchedule ? SCHEDULE_LABELS : [];
  const who = (namespace: string, schedule: string) => (perSchedule ? [namespace, schedule] : []);
  const total = series.stored(
    RUNS,
    'Finished runs counted by the ledger (each Job once), by trigger (Scheduled, Manual) and result',
    'counter',
    [...per, 'trigger', 'result'],
  );
  const last = series.stored(LAST, 'When the newest counted run finished, as a Unix timestamp', 'gauge', [...per, 'result']);
  const slots = series.stored(
    SLOTS,
    'Slots (instants the schedule named) decided, by outcome: Ran, SkippedOverlap, Missed, Suspended, Suppressed',
    'counter',
    [...per, 'outcome'],
  );
  const known = new Set<string>();
  if (!perSchedule) for (const outcome of SLOT_OUTCOMES) slots.inc([outcome], 0);
  const seen = (namespace: string, schedule: string) => {
    const key = `${namespace}/${schedule}`;
    if (!perSchedule || known.has(key)) return;
    known.add(key);
    for (const outcome of SLOT_OUTCOMES) slots.inc([namespace, schedule, outcome], 0);
  };
  return {
    seen,
    slots(namespace, schedule, counts) {
      seen(namespace, schedule);
      for (const outcome of SLOT_OUTCOMES) if (counts[outcome] > 0) slots.inc([...who(namespace, schedule), outcome], counts[outcome]);
    },
    counted(namespace, schedule, runs) {
      for (const run of runs) {
        const result = run.result ?? 'Failed';
        total.inc([...who(namespace, schedule), run.trigger, result]);
        const t = run.completionTime ? Date.parse(run.completionTime) / 1000 : NaN;
        if (!Number.isNaN(t)) last.set([...who(namespace, schedule), result], t);
      }
    },
    forget(namespace, schedule) {
      if (!perSchedule) return;
      known.delete(`${namespace}/${schedule}`);
      for (const outcome of SLOT_OUTCOMES) slots.remove([namespace, schedule, outcome]);
      for (const trigger of TRIGGERS) for (const result of RUN_RESULTS) total.remove([namespace, schedule, trigger, result]);
      for (const result of RUN_RESULTS) last.remove([namespace, schedule, result]);
    },
  };
}
