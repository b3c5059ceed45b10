// Prometheus metrics, on an injected Registry (docs/architecture.md, section 8). Controller health uses
// controller-runtime's names so existing dashboards and alerts work; domain metrics are schedule_operator_*.
//
// The per-Schedule gauges are computed at scrape time from the informer cache (observeSchedules), so a
// deleted Schedule's series disappears with it and nothing has to be kept in step by hand. They, and the run and
// slot counters (src/metrics-runs.ts), live in a SeriesTable (src/metrics-series.ts), which writes its own text.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { CONDITION_READY, findCondition } from './api/conditions.js';
import type { Schedule } from './api/schedule.js';
import { SeriesTable } from './metrics-series.js';
import { CONDITION_OVERDUE } from './schedule/overdue.js';

export interface Metrics extends Exposition {
  registry: Registry;
  /** series holds the families with a series per Schedule (src/metrics-series.ts); text() appends them. */
  series: SeriesTable;
  /** perSchedule is false for very large fleets: no metric then carries namespace/schedule labels. */
  perSchedule: boolean;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  workqueue: WorkqueueMetrics;
  apiWrites: Counter<'verb' | 'resource'>;
  eventsDropped: Counter<'why'>;
  /** leader is 1 while this process holds the Lease (client-go's leader_election_master_status). */
  leader: Gauge<'name'>;
  /** observeSchedules points the schedule gauges at the Schedules the cache holds. */
  observeSchedules(source: () => Schedule[]): void;
}

/** Exposition is what GET /metrics serves. */
export interface Exposition {
  contentType: string;
  text(): Promise<string>;
}

/** SCHEDULE_LABELS label a series of one Schedule. */
export const SCHEDULE_LABELS = ['namespace', 'schedule'] as const;

export interface WorkqueueMetrics {
  depth: Gauge<'name'>;
  adds: Counter<'name'>;
  retries: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  workDuration: Histogram<'name'>;
}

const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5,
  5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** scheduleState is the one state a Schedule is counted under in schedule_operator_schedules. */
export function scheduleState(s: Schedule): 'suspended' | 'ready' | 'invalid' | 'pending' {
  if ((s.spec as { suspend?: unknown } | null)?.suspend === true) return 'suspended';
  const ready = findCondition(s.status?.conditions, CONDITION_READY);
  if (ready?.status === 'True') return 'ready';
  if (ready?.status === 'False') return 'invalid';
  return 'pending';
}

export function createMetrics(registry: Registry, opts: { perSchedule: boolean; defaultMetrics?: boolean }): Metrics {
  // The event-loop delay histogram samples on a timer: prom-client's default (every 10 ms) alone costs an idle
  // operator about 0.18 % of a core, more than a whole idle controller-runtime peer; once a second costs 0.006 %.
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  const registers = [registry];
  let schedules: () => Schedule[] = () => [];

  new Gauge({
    name: 'schedule_operator_schedules',
    help: 'Schedules by state: ready, invalid (Ready=False), suspended, pending (not yet reconciled)',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = { ready: 0, invalid: 0, suspended: 0, pending: 0 };
      for (const s of schedules()) counts[scheduleState(s)]++;
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });

  const series = new SeriesTable();
  if (opts.perSchedule) {
    // The state gauges of each Schedule, read from its status in the cache (what the last status write said).
    // Without per-Schedule labels they are not exported at all (alerts then fall back to schedule_operator_schedules).
    const perScheduleGauge = (name: string, help: string, value: (s: Schedule) => number | undefined) =>
      series.read(name, help, SCHEDULE_LABELS, (emit) => {
        for (const s of schedules()) {
          const v = value(s);
          if (v !== undefined) emit([s.metadata.namespace ?? '', s.metadata.name], v);
        }
      });
    const condition = (s: Schedule, type: string) => findCondition(s.status?.conditions, type)?.status;
    perScheduleGauge(
      'schedule_operator_ready',
      'Condition Ready of the Schedule: 1 True, 0 False (no series while it has no Ready condition or Ready is Unknown)',
      (s) => {
        const ready = condition(s, CONDITION_READY);
        return ready === 'True' ? 1 : ready === 'False' ? 0 : undefined;
      },
    );
    perScheduleGauge(
      'schedule_operator_overdue',
      'Condition Overdue of the Schedule (spec.expectSuccessWithin): 1 True, 0 False (no series without spec.expectSuccessWithin)',
      (s) => {
        const overdue = condition(s, CONDITION_OVERDUE);
        return overdue === undefined ? undefined : overdue === 'True' ? 1 : 0;
      },
    );
    perScheduleGauge('schedule_operator_consecutive_failures', 'status.consecutiveFailures: failed runs since the last success', (s) =>
      s.status ? (s.status.consecutiveFailures ?? 0) : undefined,
    );
    perScheduleGauge(
      'schedule_operator_paused',
      '1 while the Schedule is paused after spec.pauseAfterConsecutiveFailures failed runs (status.pause), else 0',
      (s) => (s.status ? (s.status.pause ? 1 : 0) : undefined),
    );
    perScheduleGauge(
      'schedule_operator_next_run_timestamp_seconds',
      'When the Schedule runs next (status.nextRunTime), as a Unix timestamp',
      (s) => {
        const t = s.status?.nextRunTime ? Date.parse(s.status.nextRunTime) : NaN;
        return Number.isNaN(t) ? undefined : t / 1000;
      },
    );
  } else {
    new Gauge({
      name: 'schedule_operator_next_run_timestamp_seconds',
      help: 'The earliest next run of any Schedule, as a Unix timestamp (per-schedule metrics are off)',
      registers,
      collect() {
        this.reset();
        const times = schedules()
          .map((s) => (s.status?.nextRunTime ? Date.parse(s.status.nextRunTime) : NaN))
          .filter((t) => !Number.isNaN(t));
        if (times.length) this.set(Math.min(...times) / 1000);
      },
    });
  }

  return {
    registry,
    series,
    perSchedule: opts.perSchedule,
    contentType: registry.contentType,
    text: async () => (await registry.metrics()) + series.text(),
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    workqueue: {
      depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers }),
      adds: new Counter({
        name: 'workqueue_adds_total',
        help: 'Total number of adds handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
      retries: new Counter({
        name: 'workqueue_retries_total',
        help: 'Total number of retries handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
      queueDuration: new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long in seconds an item stays in workqueue before being requested',
        labelNames: ['name'],
        buckets: QUEUE_BUCKETS,
        registers,
      }),
      workDuration: new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long in seconds processing an item from workqueue takes',
        labelNames: ['name'],
        buckets: QUEUE_BUCKETS,
        registers,
      }),
    },
    apiWrites: new Counter({
      name: 'schedule_operator_api_writes_total',
      help: 'API writes the operator made, by verb and resource',
      labelNames: ['verb', 'resource'],
      registers,
    }),
    eventsDropped: new Counter({
      name: 'schedule_operator_events_dropped_total',
      help: 'Events never sent: why=overflow (the event queue was full) or failed (the API server refused or did not answer)',
      labelNames: ['why'],
      registers,
    }),
    leader: new Gauge({
      name: 'leader_election_master_status',
      help: '1 while this process leads (holds the Lease), else 0',
      labelNames: ['name'],
      registers,
    }),
    observeSchedules(source) {
      schedules = source;
    },
  };
}
