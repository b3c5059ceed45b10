// Slot accounting (src/schedule/slots.ts, docs/ledger.md "Slots"): each rule S1-S7 as rows of a table, then
// the exactly-once properties: deciding again from persisted state, passes at random moments with Job garbage
// collection in between, and the size of status after 1,000 every-minute slots.
import { describe, expect, it } from 'vitest';
import type { SlotSegment, SlotState } from '../../../src/api/schedule.js';
import type { Job } from '../../../src/types/kube.js';
import { applySlotDecisions, retainRuns } from '../../../src/schedule/history.js';
import { ANNOTATION_SCHEDULED_TIMESTAMP, jobRun } from '../../../src/schedule/jobs.js';
import {
  decideSlots,
  emptyCounts,
  mergeIntervals,
  segmentOf,
  slotEvents,
  SLOT_RECORDS_PER_PASS,
  SLOTS_PER_PASS,
  startSlotState,
  trackSegment,
  type SlotDecisions,
  type SlotRecord,
} from '../../../src/schedule/slots.js';

const DAY = '2026-01-01';
/** t('10:01:30') is that time on DAY in UTC; full RFC3339 passes through. */
const t = (hms: string): string => (hms.includes('T') ? hms : `${DAY}T${hms.length === 5 ? `${hms}:00` : hms}Z`);
const at = (hms: string): Date => new Date(t(hms));
const CREATED = t('10:00:30');

function seg(from: string, over: Partial<SlotSegment> = {}): SlotSegment {
  return { from: t(from), cron: '* * * * *', timeZone: 'UTC', suspend: false, startingDeadlineSeconds: 300, ...over };
}

interface JobSpec {
  name: string;
  slot?: string; // scheduled timestamp (absent: a manual run)
  start: string;
  end?: string;
  failed?: boolean;
}

function job({ name, slot, start, end, failed }: JobSpec): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: t(start),
      annotations: slot ? { [ANNOTATION_SCHEDULED_TIMESTAMP]: t(slot) } : {},
      labels: slot ? {} : { 'schedule-operator.io/trigger': 'Manual' },
    },
    status: end
      ? {
          startTime: t(start),
          ...(failed ? {} : { completionTime: t(end) }),
          conditions: [{ type: failed ? 'Failed' : 'Complete', status: 'True', lastTransitionTime: t(end) }],
        }
      : { startTime: t(start), active: 1 },
  };
}

function decide(segments: SlotSegment[], jobs: JobSpec[], now: string, prev?: Partial<SlotState>): SlotDecisions {
  return decideSlots({ watermark: CREATED, segments, ...prev }, { jobs: jobs.map(job), creationTime: CREATED }, at(now));
}

const brief = (r: SlotDecisions): string[] =>
  r.decided.map(
    (d: SlotRecord) =>
      `${d.slot.slice(11, 16)} ${d.outcome}${d.lateSeconds !== undefined ? ` +${d.lateSeconds}s` : ''}${d.outcome === 'Missed' || d.outcome === 'Suspended' ? ` ${d.reason}` : ''}`,
  );

describe('slot outcomes (S1-S5)', () => {
  const every = [seg('10:00:30')];

  it('S1 Ran: a Job carrying the slot in its scheduled-timestamp annotation, decided as soon as it is seen', () => {
    const r = decide(every, [{ name: 'a', slot: '10:01', start: '10:01:01' }], '10:01:02');
    expect(brief(r)).toEqual(['10:01 Ran +1s']);
    expect(r.decided[0]).toMatchObject({ reason: 'Started', jobName: 'a' });
    expect(r.state.watermark).toBe(t('10:01'));
  });

  it('S1 late start: a Job created 40 s after its slot is Ran with lateSeconds 40, reason StartedLate', () => {
    const r = decide(every, [{ name: 'a', slot: '10:01', start: '10:01:40', end: '10:01:45' }], '10:01:50');
    expect(brief(r)).toEqual(['10:01 Ran +40s']);
    expect(r.decided[0]!.reason).toBe('StartedLate');
  });

  it('S3 pending: a slot without a Job waits for its deadline plus the 10 s margin (and says when to look again)', () => {
    const r = decide(every, [], '10:02:05');
    expect(r.decided).toEqual([]);
    expect(r.nextDecisionAt).toBe(t('10:02:10')); // deadline = the next slot 10:02 (< 10:01 + 300 s), + 10 s
    expect(r.state.watermark).toBe(CREATED);
  });

  it('S3/S5 Missed: nothing ran and nothing was active once the next slot came (the controller only starts the latest)', () => {
    const r = decide(every, [], '10:02:15');
    expect(brief(r)).toEqual(['10:01 Missed NotStarted']);
    expect(r.counts).toEqual({ ...emptyCounts(), Missed: 1 });
    expect(r.lastMissedTime).toBe(t('10:01'));
    expect(r.nextDecisionAt).toBe(t('10:03:10'));
  });

  it('S3 a sparse schedule: the deadline is slot + startingDeadlineSeconds', () => {
    const hourly = [seg('10:00:30', { cron: '0 * * * *', startingDeadlineSeconds: 600 })];
    expect(decide(hourly, [], '11:10:05').decided).toEqual([]);
    expect(brief(decide(hourly, [], '11:10:11'))).toEqual(['11:00 Missed NotStarted']);
  });

  it('S3 a Job for a later slot makes an earlier slot final at once (the controller moved on)', () => {
    const hourly = [seg('10:00:30', { cron: '*/5 * * * *', startingDeadlineSeconds: 3600 })];
    const r = decide(hourly, [{ name: 'b', slot: '10:10', start: '10:10:01' }], '10:10:02');
    expect(brief(r)).toEqual(['10:05 Missed NotStarted', '10:10 Ran +1s']);
  });

  it('S4 overlap with a scheduled run: a run of 150 s holds off the next slot; the slot after it starts late when the run ends (Ran, not skipped)', () => {
    const jobs = [
      { name: 'a', slot: '10:01', start: '10:01:01', end: '10:03:31' },
      { name: 'b', slot: '10:03', start: '10:03:32', end: '10:06:02' },
    ];
    const r = decide(every, jobs, '10:06:15');
    expect(brief(r)).toEqual(['10:01 Ran +1s', '10:02 SkippedOverlap', '10:03 Ran +32s', '10:04 SkippedOverlap', '10:05 SkippedOverlap']);
    expect(r.decided[1]!.message).toMatch(/Job a was still running/);
    expect(r.counts).toMatchObject({ Ran: 2, SkippedOverlap: 3 });
  });

  it('S5 a run that ends inside the deadline leaves the slot to the controller: Missed when it did not start it late', () => {
    const r = decide(every, [{ name: 'a', slot: '10:01', start: '10:01:01', end: '10:02:20' }], '10:03:15');
    expect(brief(r)).toEqual(['10:01 Ran +1s', '10:02 Missed NotStarted']);
  });

  it('the CronJob controller stopped for 3 minutes: the slots it slept through are Missed, the one it wakes within is Ran late', () => {
    const jobs = [
      { name: 'a', slot: '10:01', start: '10:01:01', end: '10:01:05' },
      { name: 'd', slot: '10:05', start: '10:05:20', end: '10:05:25' }, // controller back at 10:05:20: only the latest slot
    ];
    const r = decide(every, jobs, '10:06:15');
    expect(brief(r)).toEqual([
      '10:01 Ran +1s',
      '10:02 Missed NotStarted',
      '10:03 Missed NotStarted',
      '10:04 Missed NotStarted',
      '10:05 Ran +20s',
    ]);
    expect(r.counts).toMatchObject({ Ran: 2, Missed: 3 });
  });

  it('slotEvents: one Warning per missed or skipped slot, none for Ran, and a summary when records were capped', () => {
    const jobs = [{ name: 'a', slot: '10:01', start: '10:01:01', end: '10:03:05' }];
    const events = slotEvents(decide(every, jobs, '10:03:15'));
    expect(events.map((e) => `${e.type} ${e.reason} ${e.message.slice(0, 33)}`)).toEqual([
      'Warning SlotSkipped slot 2026-01-01T10:02:00Z skipped',
    ]);
    const down = decide(every, [], new Date(Date.parse(CREATED) + 500 * 60_000).toISOString());
    const many = slotEvents(down);
    expect(many).toHaveLength(SLOT_RECORDS_PER_PASS + 1);
    expect(many[0]!.message).toMatch(/^decided 399 more slots than listed \(in all this pass: 0 ran, 499 missed/);
  });

  it('S4 overlap with a manual run: a run-now Job active across slots holds them off like a scheduled one', () => {
    const r = decide(every, [{ name: 'manual', start: '10:00:50', end: '10:04:30' }], '10:05:15');
    expect(brief(r)).toEqual(['10:01 SkippedOverlap', '10:02 SkippedOverlap', '10:03 SkippedOverlap', '10:04 Missed NotStarted']);
    expect(r.decided[0]!.message).toMatch(/Job manual/);
  });

  it('S4 gap tolerance: runs that follow each other within 10 s hold a slot off together; a manual run started 10 s after the slot still counts', () => {
    const hourly = [seg('10:00:30', { cron: '*/10 * * * *', startingDeadlineSeconds: 300 })];
    const jobs = [
      { name: 'm1', start: '10:10:08', end: '10:12:00' },
      { name: 'm2', start: '10:12:07', end: '10:16:00' },
    ];
    expect(brief(decide(hourly, jobs, '10:16:00'))).toEqual(['10:10 SkippedOverlap']);
    const late = [{ name: 'm1', start: '10:10:20', end: '10:16:00' }];
    expect(brief(decide(hourly, late, '10:16:00'))).toEqual(['10:10 Missed NotStarted']);
  });

  it('S4 a run still going holds off every slot until the deadline', () => {
    const r = decide(every, [{ name: 'a', slot: '10:01', start: '10:01:01' }], '10:04:30');
    expect(brief(r)).toEqual(['10:01 Ran +1s', '10:02 SkippedOverlap', '10:03 SkippedOverlap']);
    expect(r.state.runs).toEqual([{ job: 'a', start: t('10:01:01'), scheduledTime: t('10:01') }]);
  });

  it('S2 suspend across slots: slots while the CronJob was suspended are Suspended, not missed; the slot before the suspend is judged normally', () => {
    const segments = [seg('10:00:30'), seg('10:02:30', { suspend: true }), seg('10:05:30')];
    const jobs = [
      { name: 'a', slot: '10:01', start: '10:01:01', end: '10:01:05' },
      { name: 'f', slot: '10:06', start: '10:06:01', end: '10:06:05' },
    ];
    const r = decide(segments, jobs, '10:06:30');
    expect(brief(r)).toEqual([
      '10:01 Ran +1s',
      '10:02 Missed NotStarted',
      '10:03 Suspended Suspended',
      '10:04 Suspended Suspended',
      '10:05 Suspended Suspended',
      '10:06 Ran +1s',
    ]);
    expect(r.counts).toMatchObject({ Missed: 1, Suspended: 3, Ran: 2 });
    expect(r.state.segments).toEqual([seg('10:05:30')]); // S7: segments behind the watermark pruned
  });

  it('S2 a suspended Schedule asks for no requeue and no status write of its own (changed: false); a later pass decides the same', () => {
    const prev: SlotState = { watermark: t('10:00:30'), segments: [seg('10:00:30', { suspend: true })] };
    const r = decideSlots(prev, { jobs: [], creationTime: CREATED }, at('10:05:30'));
    expect(r.counts.Suspended).toBe(5);
    expect(r.nextDecisionAt).toBeUndefined();
    expect(r.changed).toBe(false);
    // The write was skipped: the next pass decides the same slots again, plus the new one.
    expect(decideSlots(prev, { jobs: [], creationTime: CREATED }, at('10:06:30')).counts.Suspended).toBe(6);
    // A decided Missed or Ran slot, or a new interval, is worth a write.
    expect(decide([seg('10:00:30')], [], '10:02:15').changed).toBe(true);
    expect(decide([seg('10:00:30')], [{ name: 'a', slot: '10:01', start: '10:01:01' }], '10:01:02').changed).toBe(true);
    expect(decide([seg('10:00:30')], [], '10:01:30').changed).toBe(false);
  });

  it('S2 a pause after failures suspends slots with reason PausedAfterFailures', () => {
    const r = decide([seg('10:00:30', { suspend: true, paused: true })], [], '10:02:00');
    expect(brief(r)).toEqual(['10:01 Suspended PausedAfterFailures', '10:02 Suspended PausedAfterFailures']);
  });

  it('spec change between slots: the slots are those of the spec in force at each instant', () => {
    const segments = [seg('10:00:30', { cron: '0 * * * *' }), seg('10:30:00', { cron: '15 * * * *' })];
    const jobs = [
      { name: 'a', slot: '11:00', start: '11:00:01' },
      { name: 'b', slot: '11:15', start: '11:15:01' },
      { name: 'c', slot: '12:15', start: '12:15:01' },
    ];
    // 11:00 was a slot of the old spec only; 10:15 of the new spec only, before it applied: neither is a slot.
    const r = decide(segments, jobs, '12:15:30');
    expect(brief(r)).toEqual(['11:15 Ran +1s', '12:15 Ran +1s']);
  });

  it('spec change: trackSegment starts a segment when the CronJob spec in force changes, not on every pass', () => {
    const spec = { cron: '* * * * *', timeZone: 'UTC', suspend: false, startingDeadlineSeconds: 300 };
    const one = trackSegment(undefined, spec, at('10:00:30'));
    expect(trackSegment(one, spec, at('10:05'))).toEqual(one);
    const two = trackSegment(one, { ...spec, suspend: true }, at('10:06'));
    expect(two.map((s) => [s.from, s.suspend])).toEqual([
      [t('10:00:30'), false],
      [t('10:06'), true],
    ]);
    // Through decideSlots: the first pass records the spec it sees.
    const r = decideSlots(undefined, { jobs: [], creationTime: CREATED, inForce: spec }, at('10:00:31'));
    expect(r.state).toEqual({ watermark: CREATED, segments: [{ from: t('10:00:31'), ...spec }] });
  });

  it('segmentOf reads the spec in force from the CronJob; suspended while paused marks the segment paused', () => {
    const cj = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'x' },
      spec: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', suspend: true, startingDeadlineSeconds: 120, jobTemplate: { spec: {} } },
    } as const;
    expect(segmentOf(cj as never, true)).toEqual({
      cron: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      suspend: true,
      paused: true,
      startingDeadlineSeconds: 120,
    });
    expect(segmentOf({ ...cj, spec: { schedule: '0 3 * * *', jobTemplate: { spec: {} } } } as never)).toEqual({
      cron: '0 3 * * *',
      timeZone: 'UTC',
      suspend: false,
      startingDeadlineSeconds: 366 * 86_400,
    });
    expect(segmentOf(undefined)).toBeUndefined();
  });

  it('S5 slots before the operator first applied the CronJob are Missed with reason CronJobNotApplied', () => {
    const r = decide([seg('10:02:40')], [], '10:03:15');
    expect(brief(r)).toEqual(['10:01 Missed CronJobNotApplied', '10:02 Missed CronJobNotApplied']);
  });

  it('no CronJob spec seen yet: nothing is decided, nothing is lost', () => {
    const r = decideSlots(undefined, { jobs: [], creationTime: CREATED }, at('11:00'));
    expect(r.decided).toEqual([]);
    expect(r.state).toEqual({ watermark: CREATED });
  });

  it('a segment whose schedule cannot be previewed (@every, edited by hand) has no slots', () => {
    const r = decide([seg('10:00:30', { cron: '@every 5m' })], [], '11:00');
    expect(r.decided).toEqual([]);
  });
});

describe('daylight saving (Europe/Berlin)', () => {
  const berlin = (from: string) => [seg(from, { cron: '30 2 * * *', timeZone: 'Europe/Berlin' })];
  const ran = (slot: string) => ({ name: `j-${slot}`, slot, start: slot, end: new Date(Date.parse(slot) + 60_000).toISOString() });

  it('spring forward: 02:30 does not exist on 2026-03-29, so that day has no slot (nothing missed)', () => {
    const r = decideSlots(
      { watermark: '2026-03-27T12:00:00Z', segments: berlin('2026-03-27T12:00:00Z') },
      { jobs: [ran('2026-03-28T01:30:00Z'), ran('2026-03-30T00:30:00Z')].map(job), creationTime: '2026-03-27T12:00:00Z' },
      new Date('2026-03-30T12:00:00Z'),
    );
    expect(r.decided.map((d) => `${d.slot} ${d.outcome}`)).toEqual(['2026-03-28T01:30:00Z Ran', '2026-03-30T00:30:00Z Ran']);
  });

  it('fall back: 02:30 happens twice on 2026-10-25, two slots; a second run that never started is Missed', () => {
    const r = decideSlots(
      { watermark: '2026-10-24T12:00:00Z', segments: berlin('2026-10-24T12:00:00Z') },
      { jobs: [ran('2026-10-25T00:30:00Z')].map(job), creationTime: '2026-10-24T12:00:00Z' },
      new Date('2026-10-25T02:00:00Z'),
    );
    expect(r.decided.map((d) => `${d.slot} ${d.outcome}`)).toEqual(['2026-10-25T00:30:00Z Ran', '2026-10-25T01:30:00Z Missed']);
  });
});

describe('exactly once (S6) and bounded (S7)', () => {
  it('operator down across many slots: all are decided when it is back, counts exact, records capped at the newest SLOT_RECORDS_PER_PASS', () => {
    // 1,000 minutes down; the CronJob controller ran every other slot and the ledger finalizer kept those Jobs.
    const jobs: JobSpec[] = [];
    for (let m = 1; m <= 1000; m += 2) {
      const slot = new Date(Date.parse(t('10:00')) + m * 60_000).toISOString().replace('.000Z', 'Z');
      jobs.push({ name: `j${m}`, slot, start: slot, end: new Date(Date.parse(slot) + 5000).toISOString() });
    }
    const r = decide([seg('10:00:30')], jobs, new Date(Date.parse(t('10:00')) + 1000 * 60_000 + 70_000).toISOString());
    expect(r.counts).toMatchObject({ Ran: 500, Missed: 500 });
    expect(r.decided).toHaveLength(SLOT_RECORDS_PER_PASS);
    expect(r.omitted).toBe(1000 - SLOT_RECORDS_PER_PASS);
    expect(r.decided[SLOT_RECORDS_PER_PASS - 1]!.slot).toBe('2026-01-02T02:40:00Z');
    expect(r.state.runs ?? []).toEqual([]);
  });

  it('more slots than SLOTS_PER_PASS: the pass stops there and says `more`; the next pass goes on, the sum is exact', () => {
    const now = new Date(Date.parse(CREATED) + (SLOTS_PER_PASS + 500) * 60_000);
    const first = decideSlots({ watermark: CREATED, segments: [seg('10:00:30')] }, { jobs: [], creationTime: CREATED }, now);
    expect(first.more).toBe(true);
    expect(first.counts.Missed).toBe(SLOTS_PER_PASS);
    const second = decideSlots(first.state, { jobs: [], creationTime: CREATED }, now);
    expect(second.more).toBe(false);
    expect(first.counts.Missed + second.counts.Missed).toBe(SLOTS_PER_PASS + 499); // the newest slot is still pending
  });

  it('watermark restart: deciding twice from the same persisted state gives the same counts; deciding from the new state adds nothing', () => {
    const prev: SlotState = { watermark: CREATED, segments: [seg('10:00:30')] };
    const jobs = [job({ name: 'a', slot: '10:01', start: '10:01:01', end: '10:03:31' })];
    const one = decideSlots(prev, { jobs, creationTime: CREATED }, at('10:10'));
    const two = decideSlots(prev, { jobs, creationTime: CREATED }, at('10:10'));
    expect(two).toEqual(one);
    const again = decideSlots(one.state, { jobs, creationTime: CREATED }, at('10:10'));
    expect(again.counts).toEqual(emptyCounts());
    expect(again.state).toEqual(one.state);
  });

  it('a persisted interval keeps deciding after its Job is garbage-collected', () => {
    // Pass 1 sees Job a running; then a finishes and is deleted before the slots it held off are final.
    const p1 = decide([seg('10:00:30')], [{ name: 'a', slot: '10:01', start: '10:01:01' }], '10:01:30');
    expect(p1.state.runs).toEqual([{ job: 'a', start: t('10:01:01'), scheduledTime: t('10:01') }]);
    expect(brief(p1)).toEqual(['10:01 Ran +1s']);
    // Pass 2: the Job is gone without our seeing it end: its interval ends at this pass (an upper bound).
    const p2 = decideSlots(p1.state, { jobs: [], creationTime: CREATED }, at('10:03:15'));
    expect(brief(p2)).toEqual(['10:02 SkippedOverlap']);
    expect(p2.state.runs).toEqual([{ job: 'a', start: t('10:01:01'), end: t('10:03:15'), scheduledTime: t('10:01') }]);
  });

  it('mergeIntervals: a stale cache never reopens a finished run', () => {
    const merged = mergeIntervals([{ job: 'a', start: t('10:01'), end: t('10:02') }], [job({ name: 'a', start: '10:01' })], at('10:03'));
    expect(merged).toEqual([{ job: 'a', start: t('10:01'), end: t('10:02') }]);
  });

  it('random pass times, Job garbage collection and lost writes: the sum of counts equals one pass over the whole history', () => {
    // A world of every-minute slots over 6 hours: runs of 30-200 s (so some overlap), some slots never started,
    // manual runs now and then. Jobs are deleted 3 minutes after they finish, but only once a status write
    // recorded them finished (the ledger finalizer holds them until then). The operator passes at random
    // moments; a third of its status writes are lost (409).
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const start = Date.parse(t('10:00'));
    const end = start + 6 * 3600_000;
    interface WorldJob {
      name: string;
      slot?: number;
      start: number;
      end: number;
    }
    const world: WorldJob[] = [];
    let busyUntil = 0;
    for (let s = start + 60_000; s < end; s += 60_000) {
      if (rand() < 0.1) continue; // controller down: nothing started
      const startAt = Math.max(s + 1000, busyUntil + 1000);
      if (startAt > s + 60_000) continue; // Forbid held it off past the next slot
      const duration = 30_000 + rand() * 170_000;
      world.push({ name: `s${s}`, slot: s, start: startAt, end: startAt + duration });
      busyUntil = startAt + duration;
      if (rand() < 0.05) {
        world.push({ name: `m${s}`, start: busyUntil + 2000, end: busyUntil + 2000 + 90_000 });
        busyUntil += 92_000;
      }
    }
    const recorded = new Set<string>();
    const observe = (now: number): Job[] =>
      world
        .filter((w) => w.start <= now && !(recorded.has(w.name) && w.end + 180_000 < now))
        .map((w) =>
          job({
            name: w.name,
            slot: w.slot ? new Date(w.slot).toISOString() : undefined,
            start: new Date(w.start).toISOString(),
            end: w.end <= now ? new Date(w.end).toISOString() : undefined,
          } as JobSpec),
        );
    const segments = [seg('10:00:30')];
    const truth = decideSlots(
      { watermark: CREATED, segments },
      {
        jobs: world.map((w) =>
          job({
            name: w.name,
            slot: w.slot ? new Date(w.slot).toISOString() : undefined,
            start: new Date(w.start).toISOString(),
            end: new Date(w.end).toISOString(),
          } as JobSpec),
        ),
        creationTime: CREATED,
      },
      new Date(end),
    );

    let persisted: SlotState = { watermark: CREATED, segments };
    const total = emptyCounts();
    for (let now = start; now <= end; now += 5_000 + rand() * 90_000) {
      const seen = observe(now);
      const r = decideSlots(persisted, { jobs: seen, creationTime: CREATED }, new Date(now));
      if (rand() < 0.33) continue; // the status write lost a conflict: nothing of this pass counts
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += r.counts[k];
      persisted = r.state;
      for (const j of seen) if (j.status?.conditions?.length) recorded.add(j.metadata.name);
    }
    const last = decideSlots(persisted, { jobs: observe(end), creationTime: CREATED }, new Date(end));
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += last.counts[k];
    expect(total).toEqual(truth.counts);
    expect(truth.counts.SkippedOverlap).toBeGreaterThan(10);
    expect(truth.counts.Missed).toBeGreaterThan(10);
  });

  it('bounded state after 1,000 every-minute slots with overlapping runs (status.slots and recentRuns sizes)', () => {
    const start = Date.parse(t('10:00'));
    let state: SlotState = { watermark: CREATED, segments: [seg('10:00:30')] };
    let status: Parameters<typeof applySlotDecisions>[0] = {};
    const jobs: Array<{ name: string; slot: number; start: number; end: number }> = [];
    let busy = 0;
    let maxSlotsBytes = 0;
    for (let m = 1; m <= 1000; m++) {
      const slot = start + m * 60_000;
      // The controller starts a slot when it comes, or late when the run holding it off ends before the next slot.
      const begin = Math.max(slot + 1000, busy + 1000);
      if (begin < slot + 60_000) {
        jobs.push({ name: `every-minute-${29_000_000 + m}`, slot, start: begin, end: begin + (m % 3 === 0 ? 150_000 : 20_000) });
        busy = jobs[jobs.length - 1]!.end;
      }
      const now = slot + 30_000;
      const visible = jobs
        .filter((j) => j.start <= now && j.end + 180_000 > now)
        .map((j) =>
          job({
            name: j.name,
            slot: new Date(j.slot).toISOString(),
            start: new Date(j.start).toISOString(),
            end: j.end <= now ? new Date(j.end).toISOString() : undefined,
          }),
        );
      const r = decideSlots(state, { jobs: visible, creationTime: CREATED }, new Date(now));
      state = r.state;
      const finished = visible.filter((j) => j.status?.conditions?.length).map(jobRun);
      status = applySlotDecisions(
        { ...status, recentRuns: retainRuns(status.recentRuns, finished, { limit: 10 }, new Date(now)) },
        r,
        { limit: 10 },
        new Date(now),
      );
      maxSlotsBytes = Math.max(maxSlotsBytes, JSON.stringify(state).length);
    }
    const slotsBytes = JSON.stringify(status.slots).length;
    const recentBytes = JSON.stringify(status.recentRuns).length;
    const kinds = (status.recentRuns ?? []).map((e) => e.outcome ?? e.result).join(',');
    console.log(
      `after 1,000 every-minute slots: status.slots ${slotsBytes} B (max over the run ${maxSlotsBytes} B), recentRuns ${recentBytes} B (10 entries: ${kinds}); runs ${JSON.stringify(status.runs)}`,
    );
    expect(maxSlotsBytes).toBeLessThan(2_000);
    expect(status.recentRuns).toHaveLength(10);
    expect((status.runs?.skipped ?? 0) + (status.runs?.missed ?? 0)).toBeGreaterThan(0);
  });

  it('startSlotState: a new Schedule starts at its creation; one that had a status before slot accounting starts now', () => {
    expect(startSlotState(undefined, CREATED, at('12:00'))).toEqual({ watermark: CREATED });
    expect(startSlotState({ observedGeneration: 3 }, CREATED, at('12:00'))).toEqual({ watermark: t('12:00') });
    const kept = { watermark: t('11:00') };
    expect(startSlotState({ observedGeneration: 3, slots: kept }, CREATED, at('12:00'))).toBe(kept);
  });
});
