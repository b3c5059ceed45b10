// Scrape benchmark: what one GET /metrics costs the operator with per-Schedule metrics on, without a cluster.
//
//   npx tsx bench/scrape.ts [--schedules 1000,10000] [--scrapes 7]
//
// The registry is the operator's (createMetrics and runMetrics, per-Schedule labels on); the cache holds N settled
// Schedules, each seen by a pass (so every slot outcome is exported at 0, as in a running operator). Each point
// prints the median time of one metrics.text(), what GET /metrics serves (the event loop is blocked that long),
// the size of the text, its lines, and the heap before and after the scrapes (and, under
// `node --expose-gc --import tsx`, what a full collection leaves). Timings are for reading, not asserted.
import { Registry } from 'prom-client';
import type { Schedule } from '../src/api/schedule.js';
import { createMetrics } from '../src/metrics.js';
import { runMetrics } from '../src/metrics-runs.js';
import { flag, median } from './stats.js';

const COUNTS = (flag('schedules') ?? '1000,10000').split(',').map(Number);
const SCRAPES = Number(flag('scrapes') ?? 7);
/** gc is there under `node --expose-gc`: heapRetainedMiB is then the heap after a full collection. */
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = (b: number) => Number((b / 2 ** 20).toFixed(1));

function settled(i: number): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { namespace: 'team-a', name: `fleet-${i}`, uid: `uid-${i}` },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T00:00:00Z', reason: 'Scheduled', message: 'm' }],
      consecutiveFailures: 0,
      nextRunTime: '2027-01-01T00:00:00Z',
    },
  };
}

for (const n of COUNTS) {
  const registry = new Registry();
  const metrics = createMetrics(registry, { perSchedule: true, defaultMetrics: false });
  const runs = runMetrics(metrics);
  const schedules = Array.from({ length: n }, (_, i) => settled(i));
  metrics.observeSchedules(() => schedules);
  for (const s of schedules) runs.seen(s.metadata.namespace, s.metadata.name);
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let text = '';
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now();
    text = await metrics.text();
    times.push(performance.now() - t);
  }
  console.log(
    JSON.stringify({
      schedules: n,
      medianScrapeMs: Math.round(median(times)),
      textMiB: MiB(text.length),
      lines: text.split('\n').filter((l) => l && !l.startsWith('#')).length,
      heapBeforeMiB: MiB(heapBefore),
      heapAfterMiB: MiB(process.memoryUsage().heapUsed),
      heapRetainedMiB: gc ? (gc(), MiB(process.memoryUsage().heapUsed)) : undefined,
      heapTotalMiB: MiB(process.memoryUsage().heapTotal),
    }),
  );
}
