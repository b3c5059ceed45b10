// Run metrics that agree with the ledger: schedule_operator_runs_total grows exactly when the ledger
// counts a run, i.e. after the status write that records it succeeded (never on a 409), and
// schedule_operator_last_run_timestamp_seconds is the finish time of the newest counted run.
// After a restart the counter starts again from zero (a Prometheus counter reset); status.runs is the
// durable total.
import { Counter, Gauge, type Registry } from 'prom-client';
import { RUN_RESULTS, TRIGGERS, type Run } from './api/schedule.js';

export interface RunMetrics {
  /** counted records runs the ledger has just persisted. */
  counted(namespace: string, schedule: string, runs: Run[]): void;
  /** forget removes a deleted Schedule's series. */
  forget(namespace: string, schedule: string): void;
}

const RUNS = 'schedule_operator_runs_total';
const LAST = 'schedule_operator_last_run_timestamp_seconds';

/** runMetrics registers (once per registry) and returns the run metrics. */
export function runMetrics(registry: Registry, perSchedule: boolean): RunMetrics {
  const labels = perSchedule ? ['namespace', 'schedule', 'trigger', 'result'] : ['trigger', 'result'];
  const total =
    (registry.getSingleMetric(RUNS) as Counter<string> | undefined) ??
    new Counter({ name: RUNS, help: 'Finished runs counted by the ledger (each Job once), by trigger (Scheduled, Manual) and result', labelNames: labels, registers: [registry] });
  const last =
    (registry.getSingleMetric(LAST) as Gauge<string> | undefined) ??
    new Gauge({ name: LAST, help: 'When the newest counted run finished, as a Unix timestamp', labelNames: perSchedule ? ['namespace', 'schedule', 'result'] : ['result'], registers: [registry] });
  return {
    counted(namespace, schedule, runs) {
      for (const run of runs) {
        const result = run.result ?? 'Failed';
        total.inc(perSchedule ? { namespace, schedule, trigger: run.trigger, result } : { trigger: run.trigger, result });
        const t = run.completionTime ? Date.parse(run.completionTime) / 1000 : NaN;
        if (!Number.isNaN(t)) {
          const l = perSchedule ? { namespace, schedule, result } : { result };
          last.set(l, t);
        }
      }
    },
    forget(namespace, schedule) {
      if (!perSchedule) return;
      for (const trigger of TRIGGERS) for (const result of RUN_RESULTS) total.remove({ namespace, schedule, trigger, result });
      for (const result of RUN_RESULTS) last.remove({ namespace, schedule, result });
    },
  };
}
