// Slot accounting, failure details, pause after failures and Overdue in the pipeline, against the recording fake:
// the exact API writes in order (the status write first, its Events and metrics only after it succeeded).
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { cappedSlotEvents, SLOT_EVENTS_PER_PASS } from '../../../src/controller/announce.js';
import { reconcile, type ReconcileDeps } from '../../../src/controller/reconcile.js';
import type { CronJob, Job, Pod } from '../../../src/types/kube.js';
import { runMetrics } from '../../../src/metrics-runs.js';
import { SeriesTable } from '../../../src/metrics-series.js';
import { FINALIZER_LEDGER } from '../../../src/schedule/ledger.js';
import { decideSlots, emptyCounts } from '../../../src/schedule/slots.js';
import { FakeKube, apiError } from '../../support/fake-kube.js';

const NS = 'team-a';
const CREATED = '2026-03-02T10:00:00Z';

let kube: FakeKube;
let deps: ReconcileDeps;
let series: SeriesTable;
let now: Date;

beforeEach(() => {
  kube = new FakeKube();
  kube.checkResourceVersion = true;
  series = new SeriesTable();
  now = new Date('2026-03-02T10:00:05Z');
  deps = {
    kube,
    now: () => now,
    log: pino({ level: 'silent' }),
    appliedGenerations: new Map(),
    requeue: { resyncMs: 600_000, notifyPollMs: undefined },
    runMetrics: runMetrics({ series, perSchedule: true }),
  };
});

function schedule(extra: { spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: {
      name: 'every',
      namespace: NS,
      uid: 'uid-sched-1',
      generation: 1,
      resourceVersion: '10',
      creationTimestamp: CREATED,
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
      },
      ...extra.spec,
    },
  };
}

/** World: what the caches hold between passes (the Schedule as last written, the CronJob as last applied). */
interface World {
  schedule: Schedule;
  cronJob: CronJob | undefined;
  jobs: Job[];
}

/** pass runs one reconcile at `at` and folds its writes into the world, as the caches would. */
async function pass(w: World, at?: string): Promise<{ requeueAfterMs?: number }> {
  if (at) now = new Date(at);
  kube.clear();
  const result = await reconcile({ schedule: w.schedule, cronJob: w.cronJob, jobs: w.jobs }, deps);
  absorb(w);
  return result;
}

function absorb(w: World): void {
  const status = lastStatus();
  if (status)
    w.schedule = {
      ...w.schedule,
      metadata: { ...w.schedule.metadata, resourceVersion: String(Number(w.schedule.metadata.resourceVersion) + 1) },
      status,
    };
  const cj = kube.cronJobs.get(`${NS}/every`);
  if (cj) w.cronJob = { ...structuredClone(cj), status: {} };
}

async function settled(s = schedule()): Promise<World> {
  const w: World = { schedule: s, cronJob: undefined, jobs: [] };
  await pass(w);
  // The fake answers with a new resourceVersion per write; the world tracks the Schedule's own.
  kube.checkResourceVersion = false;
  return w;
}

const lastStatus = () => [...kube.writes].reverse().find((w) => w.verb === 'updateStatus')?.body as ScheduleStatus | undefined;
const events = () => kube.writes.filter((w) => w.verb === 'event').map((w) => (w.body as { reason: string }).reason);
const condition = (s: ScheduleStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const hits = series.samples(name).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return hits.length ? hits.reduce((a, v) => a + v.value, 0) : undefined;
}

function job(name: string, o: { slot?: string; created: string; result?: 'Succeeded' | 'Failed'; done?: string; manual?: boolean }): Job {
  const j: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      creationTimestamp: o.created,
      labels: { 'schedule-operator.io/schedule': 'every', ...(o.manual ? { 'schedule-operator.io/trigger': 'Manual' } : {}) },
      ...(o.slot ? { annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': o.slot } } : {}),
      finalizers: [FINALIZER_LEDGER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'every', uid: 'uid-cronjob-every', controller: true }],
    },
    status: o.result
      ? {
          startTime: o.created,
          completionTime: o.done!,
          conditions: [
            {
              type: o.result === 'Succeeded' ? 'Complete' : 'Failed',
              status: 'True',
              reason: o.result === 'Failed' ? 'BackoffLimitExceeded' : undefined,
              lastTransitionTime: o.done!,
            } as never,
          ],
        }
      : { startTime: o.created, active: 1 },
  };
  kube.jobs.set(`${NS}/${name}`, structuredClone(j));
  return j;
}

function failedPod(jobName: string, exitCode: number): Pod {
  return {
    metadata: {
      name: `${jobName}-abcde`,
      namespace: NS,
      creationTimestamp: '2026-03-02T10:00:01Z',
      labels: { 'batch.kubernetes.io/controller-uid': `uid-${jobName}` },
    },
    status: {
      phase: 'Failed',
      containerStatuses: [
        { name: 'main', state: { terminated: { exitCode, reason: 'Error', message: 'disk full', finishedAt: '2026-03-02T10:00:02Z' } } },
      ],
    },
  };
}

describe('slot decisions in the pipeline', () => {
  it('a missed slot: one status write with runs.missed, then one SlotMissed Event, then the counter; never again', async () => {
    const w = await settled();
    expect(w.schedule.status?.slots?.watermark).toBe(CREATED);
    expect(await metricValue('schedule_operator_slots_total', { namespace: NS, schedule: 'every', outcome: 'Missed' })).toBe(0); // exported at 0 from the first pass

    await pass(w, '2026-03-02T10:02:15Z'); // slot 10:01 is final at its deadline 10:02 + 10 s: nothing ran
    expect(kube.verbs()).toEqual(['updateStatus Schedule/every', 'event Event/every']);
    expect(events()).toEqual(['SlotMissed']);
    const status = w.schedule.status!;
    expect(status.runs).toMatchObject({ missed: 1, skipped: 0 });
    expect(status.lastMissedTime).toBe('2026-03-02T10:01:00Z');
    expect(status.slots?.watermark).toBe('2026-03-02T10:01:00Z');
    expect(status.recentRuns?.[0]).toMatchObject({ scheduledTime: '2026-03-02T10:01:00Z', outcome: 'Missed', reason: 'NotStarted' });
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Missed' })).toBe(1);

    await pass(w, '2026-03-02T10:02:20Z'); // the same facts again: nothing new to decide or say
    expect(kube.verbs()).toEqual([]);
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Missed' })).toBe(1);
  });

  it('a 409 on that write: no Event, no metric; the retry decides the slot once', async () => {
    const w = await settled();
    kube.failNext.updateStatus = apiError(409, 'Conflict', 'the object has been modified');
    now = new Date('2026-03-02T10:02:15Z');
    kube.clear();
    await expect(reconcile({ schedule: w.schedule, cronJob: w.cronJob, jobs: [] }, deps)).rejects.toThrow(/409|Conflict|changed/);
    expect(kube.verbs()).toEqual([]);
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Missed' })).toBe(0);

    await pass(w, '2026-03-02T10:02:16Z');
    expect(events()).toEqual(['SlotMissed']);
    expect(w.schedule.status?.runs?.missed).toBe(1);
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Missed' })).toBe(1);
  });

  it('a Job for the slot: Ran, decided with the write the new Job causes anyway (no extra write); requeue at the next slot decision', async () => {
    const w = await settled();
    w.jobs = [job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:01Z' })];
    const r = await pass(w, '2026-03-02T10:01:02Z');
    expect(kube.verbs()).toEqual(['updateStatus Schedule/every']); // the finalizer policy gave it the finalizer; one write
    expect(w.schedule.status?.slots?.watermark).toBe('2026-03-02T10:01:00Z');
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Ran' })).toBe(1);
    expect(r.requeueAfterMs).toBeLessThanOrEqual(59_000); // the next run (10:02:01) comes before slot 10:02 is final
  });

  it('a run that holds the next slot off: SkippedOverlap, one SlotSkipped Event', async () => {
    const w = await settled();
    w.jobs = [job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:00Z' })];
    await pass(w, '2026-03-02T10:01:02Z');
    await pass(w, '2026-03-02T10:03:11Z'); // 10:02 held off until its deadline 10:03
    expect(events()).toEqual(['SlotSkipped']);
    expect(w.schedule.status?.runs).toMatchObject({ missed: 0, skipped: 1 });
  });

  it('a catch-up after hours down: exact counts, at most SLOT_EVENTS_PER_PASS slot Events and one summary', async () => {
    const w = await settled();
    await pass(w, '2026-03-02T16:00:30Z');
    expect(w.schedule.status?.runs?.missed).toBe(359);
    const reasons = events();
    expect(reasons.length).toBe(SLOT_EVENTS_PER_PASS + 1);
    expect(kube.writes.filter((x) => x.verb === 'event')[0]!.body).toMatchObject({
      reason: 'SlotMissed',
      message: expect.stringMatching(/^339 more slots decided than these Events list/),
    });
    expect(await metricValue('schedule_operator_slots_total', { outcome: 'Missed' })).toBe(359);
  });

  it('cappedSlotEvents keeps the newest and sums up the rest (also those slotEvents already left out)', () => {
    const d = decideSlots(
      {
        watermark: CREATED,
        segments: [{ from: CREATED, cron: '* * * * *', timeZone: 'UTC', suspend: false, startingDeadlineSeconds: 300 }],
      },
      { jobs: [], creationTime: CREATED },
      new Date('2026-03-02T14:00:30Z'),
    );
    expect(d.counts.Missed).toBe(239);
    const ev = cappedSlotEvents(d, 5);
    expect(ev).toHaveLength(6);
    expect(ev[0]!.message).toMatch(/^234 more slots/);
    expect(ev[5]!.message).toMatch(/slot 2026-03-02T13:59:00Z missed/);
    expect(cappedSlotEvents({ ...d, decided: d.decided.slice(-2), omitted: 0, counts: emptyCounts() }, 5)).toHaveLength(2);
  });

  it('a suspended Schedule: Suspended slots alone cause no status write', async () => {
    const w = await settled(schedule({ spec: { suspend: true } }));
    await pass(w, '2026-03-02T10:05:30Z');
    expect(kube.verbs()).toEqual([]);
  });
});

describe('failure details in the pipeline', () => {
  it('lists the pods once per failed Job, never for a succeeded one; lastRun and recentFailures carry exit code and reason', async () => {
    const w = await settled();
    kube.pods.set(NS, [failedPod('every-1', 3)]);
    w.jobs = [
      job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:00Z', result: 'Failed', done: '2026-03-02T10:01:30Z' }),
      job('every-0', { created: '2026-03-02T10:00:30Z', result: 'Succeeded', done: '2026-03-02T10:00:40Z', manual: true }),
    ];
    await pass(w, '2026-03-02T10:01:40Z');
    expect(kube.podLists).toEqual([`${NS} batch.kubernetes.io/controller-uid=uid-every-1`]);
    const s = w.schedule.status!;
    expect(s.lastRun).toMatchObject({
      jobName: 'every-1',
      result: 'Failed',
      reason: 'BackoffLimitExceeded',
      exitCode: 3,
      containerReason: 'Error',
      terminationMessage: 'disk full',
      container: 'every-1-abcde/main',
    });
    expect(s.recentFailures?.[0]).toMatchObject({ jobName: 'every-1', exitCode: 3 });
    expect(s.recentRuns?.find((r) => r.jobName === 'every-1')).toMatchObject({ exitCode: 3 });

    await pass(w, '2026-03-02T10:01:45Z'); // counted: never read again, and the details stay
    expect(kube.podLists).toHaveLength(1);
    expect(kube.verbs()).toEqual([]);
  });

  it("403 on listing pods: the run is counted with the Job's reason only, and the pass goes on", async () => {
    const w = await settled();
    kube.failNext.listPods = apiError(
      403,
      'Forbidden',
      'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "team-a"',
    );
    w.jobs = [
      job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:00Z', result: 'Failed', done: '2026-03-02T10:01:30Z' }),
    ];
    await pass(w, '2026-03-02T10:01:40Z');
    const s = w.schedule.status!;
    expect(s.runs).toMatchObject({ failed: 1 });
    expect(s.lastRun).toMatchObject({ result: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(s.lastRun?.exitCode).toBeUndefined();
  });

  it('a transient error listing pods fails the pass before anything is counted; the retry counts with details', async () => {
    const w = await settled();
    kube.pods.set(NS, [failedPod('every-1', 137)]);
    kube.failNext.listPods = apiError(503, 'ServiceUnavailable', 'try again');
    w.jobs = [
      job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:00Z', result: 'Failed', done: '2026-03-02T10:01:30Z' }),
    ];
    now = new Date('2026-03-02T10:01:40Z');
    kube.clear();
    await expect(reconcile({ schedule: w.schedule, cronJob: w.cronJob, jobs: w.jobs }, deps)).rejects.toThrow(/pods/);
    expect(lastStatus()?.runs?.failed ?? 0).toBe(0); // the failed pass's summary counts nothing
    await pass(w);
    expect(w.schedule.status?.lastRun).toMatchObject({ exitCode: 137 });
  });
});

describe('pause after failures in the pipeline', () => {
  const failing = (w: World) => {
    w.jobs = [
      job('every-1', { slot: '2026-03-02T10:01:00Z', created: '2026-03-02T10:01:00Z', result: 'Failed', done: '2026-03-02T10:01:10Z' }),
      job('every-2', { slot: '2026-03-02T10:02:00Z', created: '2026-03-02T10:02:00Z', result: 'Failed', done: '2026-03-02T10:02:10Z' }),
    ];
  };

  it('pauses after the second failure: status.pause written first (with its Event), then the CronJob suspended', async () => {
    const w = await settled(schedule({ spec: { pauseAfterConsecutiveFailures: 2 } }));
    failing(w);
    await pass(w, '2026-03-02T10:02:20Z');
    expect(kube.verbs()).toEqual(['updateStatus Schedule/every', 'event Event/every', 'apply CronJob/every']);
    expect(events()).toEqual(['PausedAfterFailures']);
    const s = w.schedule.status!;
    expect(s.pause).toMatchObject({ reason: 'PausedAfterFailures', jobs: ['every-2', 'every-1'] });
    expect(condition(s, 'Suspended')).toMatchObject({ status: 'True', reason: 'PausedAfterFailures' });
    expect(condition(s, 'Ready')).toMatchObject({ status: 'True', message: expect.stringMatching(/paused after consecutive failures/) });
    expect(s.nextRunTime).toBeUndefined();
    expect(w.cronJob?.spec.suspend).toBe(true);
    expect(w.cronJob?.spec.concurrencyPolicy).toBe('Forbid');

    await pass(w, '2026-03-02T10:02:30Z'); // the next pass sees the suspended CronJob: a new segment of the spec in force
    expect(kube.verbs()).toEqual(['updateStatus Schedule/every']);
    expect(w.schedule.status?.slots?.segments?.at(-1)).toMatchObject({ from: '2026-03-02T10:02:30Z', suspend: true, paused: true });
    await pass(w, '2026-03-02T10:02:40Z'); // steady: paused, nothing to write
    expect(kube.verbs()).toEqual([]);
    await pass(w, '2026-03-02T10:05:30Z'); // slots while paused are Suspended: no Event (one write prunes the old segment)
    expect(events()).toEqual([]);
    expect(w.schedule.status?.runs).toMatchObject({ missed: 0, skipped: 0 });
    await pass(w, '2026-03-02T10:09:30Z'); // and then nothing
    expect(kube.verbs()).toEqual([]);
  });

  it('a crash between the pause write and the suspend: the next pass suspends the CronJob from status.pause', async () => {
    const w = await settled(schedule({ spec: { pauseAfterConsecutiveFailures: 2 } }));
    failing(w);
    kube.failNext.apply = new Error('killed'); // the followPause apply never happens
    now = new Date('2026-03-02T10:02:20Z');
    kube.clear();
    await expect(reconcile({ schedule: w.schedule, cronJob: w.cronJob, jobs: w.jobs }, deps)).rejects.toThrow();
    w.schedule = { ...w.schedule, status: lastStatus()! };
    expect(w.schedule.status?.pause).toBeDefined();
    expect(w.cronJob?.spec.suspend).toBe(false);
    await pass(w);
    expect(kube.verbs()[0]).toBe('apply CronJob/every');
    expect(w.cronJob?.spec.suspend).toBe(true);
  });

  it('resumes once per token: the same token again does nothing', async () => {
    let w = await settled(schedule({ spec: { pauseAfterConsecutiveFailures: 2 } }));
    failing(w);
    await pass(w, '2026-03-02T10:02:20Z');
    w = {
      ...w,
      schedule: {
        ...w.schedule,
        metadata: { ...w.schedule.metadata, annotations: { 'schedule-operator.io/resume-requested-at': 'fixed-1' } },
      },
    };
    await pass(w, '2026-03-02T10:02:40Z');
    expect(kube.verbs()).toEqual(['updateStatus Schedule/every', 'event Event/every', 'apply CronJob/every']);
    expect(events()).toEqual(['Resumed']);
    const s = w.schedule.status!;
    expect(s.pause).toBeUndefined();
    expect(s.lastHandledResumeRequest).toBe('fixed-1');
    expect(condition(s, 'Suspended')).toMatchObject({ status: 'False' });
    expect(w.cronJob?.spec.suspend).toBe(false);

    await pass(w, '2026-03-02T10:02:45Z'); // the resumed CronJob: a new segment
    await pass(w, '2026-03-02T10:02:50Z'); // the same token, the same failed Jobs: no second resume, no new pause
    expect(kube.verbs()).toEqual([]);
    expect(w.schedule.status?.pause).toBeUndefined();
  });
});

describe('Overdue in the pipeline', () => {
  it('turns True when no run succeeded within expectSuccessWithin (an Event once), False on the next success (an Event), gone with the field', async () => {
    const w = await settled(schedule({ spec: { expectSuccessWithin: '2m' } }));
    expect(w.schedule.status?.expectSuccessSince).toBe(CREATED);
    expect(condition(w.schedule.status, 'Overdue')).toMatchObject({ status: 'False', reason: 'SucceededRecently' });
    expect(events()).toEqual(['Reconciled']); // Ready's first transition; Overdue=False appearing is no news

    const r = await pass(w, '2026-03-02T10:01:59Z');
    expect(r.requeueAfterMs).toBeLessThanOrEqual(2000); // overdueAt 10:02:00 is the earliest instant ahead

    await pass(w, '2026-03-02T10:02:01Z');
    expect(condition(w.schedule.status, 'Overdue')).toMatchObject({ status: 'True', reason: 'Overdue' });
    expect(events()).toEqual(['Overdue']);
    await pass(w, '2026-03-02T10:02:05Z');
    expect(events()).toEqual([]);

    w.jobs = [
      job('every-3', { slot: '2026-03-02T10:03:00Z', created: '2026-03-02T10:03:00Z', result: 'Succeeded', done: '2026-03-02T10:03:05Z' }),
    ];
    await pass(w, '2026-03-02T10:03:06Z');
    expect(condition(w.schedule.status, 'Overdue')).toMatchObject({ status: 'False', reason: 'SucceededRecently' });
    expect(events()).toContain('SucceededRecently');

    w.schedule = {
      ...w.schedule,
      metadata: { ...w.schedule.metadata, generation: 2 },
      spec: { ...(w.schedule.spec as object), expectSuccessWithin: undefined },
    };
    await pass(w, '2026-03-02T10:03:10Z');
    expect(condition(w.schedule.status, 'Overdue')).toBeUndefined();
    expect(w.schedule.status?.expectSuccessSince).toBeUndefined();
  });
});

describe('status size through the pipeline', () => {
  it('an every-minute Schedule after 1,000 slots: bounded status (runs of 20 s, every third 150 s; 3 Jobs kept)', async () => {
    const w = await settled(schedule({ spec: { successfulJobsHistoryLimit: 3 } }));
    const t0 = Date.parse(CREATED);
    type Sim = { name: string; slot: number; start: number; end: number };
    const runs: Sim[] = [];
    let activeUntil = -Infinity;
    for (let k = 1; k <= 1000; k++) {
      const s = t0 + k * 60_000;
      const duration = k % 3 === 0 ? 150_000 : 20_000;
      const start = activeUntil <= s ? s + 1000 : activeUntil < s + 50_000 ? activeUntil + 1000 : undefined; // Forbid, late start inside the deadline
      if (start === undefined) continue;
      runs.push({ name: `every-${k}`, slot: s, start, end: start + duration });
      activeUntil = start + duration;
    }
    const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    let maxSize = 0;
    let writes = 0;
    let slotOnly = 0; // writes whose only change is slot accounting's (status.slots, missed/skipped, slot entries)
    const withoutSlots = (x: ScheduleStatus) => ({
      ...x,
      slots: undefined,
      lastMissedTime: undefined,
      runs: { ...x.runs, missed: undefined, skipped: undefined },
      recentRuns: x.recentRuns?.filter((r) => r.jobName),
    });
    // Passes as the operator makes them: on each Job event (created, finished) and when a pass asks for the next one.
    const end = t0 + 1000 * 60_000 + 100_000;
    const events = [...runs.flatMap((r) => [r.start + 500, r.end + 500])].sort((a, b) => a - b);
    let requeueAt = t0 + 35_000;
    let t = t0;
    let passes = 0;
    while (true) {
      while (events.length && events[0]! <= t) events.shift();
      t = Math.min(events[0] ?? Infinity, requeueAt);
      if (t > end) break;
      passes++;
      const started = runs.filter((r) => r.start <= t);
      const finished = started.filter((r) => r.end <= t);
      const keep = new Set([...finished.slice(-3), ...started.filter((r) => r.end > t)].map((r) => r.name));
      kube.jobs.clear();
      w.jobs = started
        .filter((r) => keep.has(r.name))
        .map((r) =>
          job(r.name, { slot: at(r.slot), created: at(r.start), ...(r.end <= t ? { result: 'Succeeded' as const, done: at(r.end) } : {}) }),
        );
      const before = w.schedule.status!;
      const r = await pass(w, at(t));
      requeueAt = r.requeueAfterMs !== undefined ? t + r.requeueAfterMs : Infinity;
      const wrote = kube.writes.filter((x) => x.verb === 'updateStatus').length;
      writes += wrote;
      if (wrote && JSON.stringify(withoutSlots(before)) === JSON.stringify(withoutSlots(w.schedule.status!))) slotOnly++;
      maxSize = Math.max(maxSize, JSON.stringify(w.schedule.status).length);
    }
    const s = w.schedule.status!;
    const size = (v: unknown) => JSON.stringify(v ?? null).length;
    const skipped = 1000 - runs.length;
    console.log(
      `status after 1,000 every-minute slots: ${size(s)} bytes (max ${maxSize}); slots ${size(s.slots)}, recentRuns ${size(s.recentRuns)} (${s.recentRuns?.length} entries), countedJobs ${size(s.countedJobs)}, conditions ${size(s.conditions)}; ${runs.length} runs, ${skipped} skipped; ${passes} passes, ${writes} status writes, ${slotOnly} of them for slot accounting alone`,
    );
    expect(s.runs).toMatchObject({ total: runs.filter((r) => r.end + 500 <= end).length, missed: 0, skipped });
    expect(slotOnly).toBeLessThanOrEqual(skipped); // at most one write per skipped slot (at its finality); none for a slot that ran
    expect(maxSize).toBeLessThan(12_000);
  });
});

describe('the requeue policy and slot accounting', () => {
  const policy = { resyncMs: 600_000, notifyPollMs: undefined };
  const at = new Date('2026-03-02T10:00:00Z');
  const base = { asked: undefined, nextRunTime: '2026-03-02T10:05:00Z', callbacksOutstanding: false, now: at };
  it('looks again when the first pending slot becomes final, at once when a catch-up has more, and at overdueAt if ahead', async () => {
    const { requeueAfterPass } = await import('../../../src/controller/requeue.js');
    expect(requeueAfterPass(policy, base)).toBe(301_000);
    expect(requeueAfterPass(policy, { ...base, slotDecisionAt: '2026-03-02T10:01:10Z' })).toBe(71_000);
    expect(requeueAfterPass(policy, { ...base, slotDecisionAt: '2026-03-02T10:01:10Z', moreSlots: true })).toBe(0);
    expect(requeueAfterPass(policy, { ...base, overdueAt: '2026-03-02T10:00:30Z' })).toBe(31_000);
    expect(requeueAfterPass(policy, { ...base, overdueAt: '2026-03-02T09:00:00Z' })).toBe(301_000); // already overdue: nothing to wait for
  });
});
