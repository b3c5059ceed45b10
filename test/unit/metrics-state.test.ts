// The per-Schedule state gauges (read from the cached status at scrape time) and the slot counter's labels,
// with and without per-Schedule labels.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Schedule, ScheduleStatus } from '../../src/api/schedule.js';
import { createMetrics } from '../../src/metrics.js';
import { runMetrics } from '../../src/metrics-runs.js';
import { SeriesTable } from '../../src/metrics-series.js';
import { emptyCounts } from '../../src/schedule/slots.js';

const cond = (type: string, status: 'True' | 'False' | 'Unknown') => ({
  type,
  status,
  lastTransitionTime: '2026-03-02T10:00:00Z',
  reason: 'R',
  message: 'm',
});
const sched = (name: string, status?: ScheduleStatus): Schedule => ({
  apiVersion: 'schedule-operator.io/v1alpha1',
  kind: 'Schedule',
  metadata: { name, namespace: 'ns', uid: name },
  spec: {},
  ...(status ? { status } : {}),
});

function series(table: SeriesTable, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of table.samples(name)) out[Object.values(v.labels).join('/')] = v.value;
  return out;
}

describe('state gauges', () => {
  it('per Schedule: ready 1/0 (no series without Ready or while Unknown), overdue only with the condition, consecutive failures, paused', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { perSchedule: true, defaultMetrics: false });
    metrics.observeSchedules(() => [
      sched('ok', { conditions: [cond('Ready', 'True'), cond('Overdue', 'False')], consecutiveFailures: 0 }),
      sched('bad', {
        conditions: [cond('Ready', 'False')],
        consecutiveFailures: 3,
        pause: { since: 't', reason: 'PausedAfterFailures', message: 'm' },
      }),
      sched('retrying', { conditions: [cond('Ready', 'Unknown'), cond('Overdue', 'True')] }),
      sched('new'),
    ]);
    expect(series(metrics.series, 'schedule_operator_ready')).toEqual({ 'ns/ok': 1, 'ns/bad': 0 });
    expect(series(metrics.series, 'schedule_operator_overdue')).toEqual({ 'ns/ok': 0, 'ns/retrying': 1 });
    expect(series(metrics.series, 'schedule_operator_consecutive_failures')).toEqual({ 'ns/ok': 0, 'ns/bad': 3, 'ns/retrying': 0 });
    expect(series(metrics.series, 'schedule_operator_paused')).toEqual({ 'ns/ok': 0, 'ns/bad': 1, 'ns/retrying': 0 });
  });

  it('without per-Schedule labels none of them is exported (alerts fall back to schedule_operator_schedules)', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { perSchedule: false, defaultMetrics: false });
    for (const name of [
      'schedule_operator_ready',
      'schedule_operator_overdue',
      'schedule_operator_consecutive_failures',
      'schedule_operator_paused',
    ])
      expect(metrics.series.has(name) || registry.getSingleMetric(name) !== undefined).toBe(false);
  });
});

describe('schedule_operator_slots_total', () => {
  it('exports every outcome of a Schedule at 0 from its first pass, adds persisted decisions, forgets a deleted Schedule', async () => {
    const metrics = { series: new SeriesTable(), perSchedule: true };
    const m = runMetrics(metrics);
    m.seen('ns', 'a');
    expect(series(metrics.series, 'schedule_operator_slots_total')).toEqual({
      'ns/a/Ran': 0,
      'ns/a/SkippedOverlap': 0,
      'ns/a/Missed': 0,
      'ns/a/Suspended': 0,
      'ns/a/Suppressed': 0,
    });
    m.slots('ns', 'a', { ...emptyCounts(), Missed: 2, Ran: 1 });
    expect(series(metrics.series, 'schedule_operator_slots_total')).toMatchObject({ 'ns/a/Missed': 2, 'ns/a/Ran': 1 });
    m.forget('ns', 'a');
    expect(series(metrics.series, 'schedule_operator_slots_total')).toEqual({});
  });

  it('without per-Schedule labels: by outcome only, each at 0 from the start', async () => {
    const metrics = { series: new SeriesTable(), perSchedule: false };
    const m = runMetrics(metrics);
    m.slots('ns', 'a', { ...emptyCounts(), SkippedOverlap: 1 });
    expect(series(metrics.series, 'schedule_operator_slots_total')).toEqual({
      Ran: 0,
      SkippedOverlap: 1,
      Missed: 0,
      Suspended: 0,
      Suppressed: 0,
    });
  });
});
