// Slot accounting (docs/ledger.md, "Slots"): every instant the schedule named gets exactly one final outcome.
// Pure: decideSlots reads the persisted slot state (status.slots), the Schedule's Jobs and the clock as an
// argument, and returns what it decided and the next state. The reconciler persists that state in the same
// resourceVersion-guarded status write as the counts, so a slot is counted once however often passes repeat,
// fail with 409 or restart (a pass that loses its write decided nothing).
//
// Slots are the instants nextRuns (next.ts, the CronJob controller's own walk) gives for the spec in force at
// each instant. The spec in force is what the CronJob had: status.slots.segments lists the CronJob specs the
// operator saw, each from the moment it first saw it; the first one also covers the time back to the
// Schedule's creation (slots before the CronJob existed are Missed, reason CronJobNotApplied).
//
// Outcome of a slot s (rules S1-S7, each a row of test/unit/schedule/slots.test.ts):
//   S1 Ran            a Job of the Schedule carries s in batch.kubernetes.io/cronjob-scheduled-timestamp
//                     (lateSeconds: its creation/start minus s); decided as soon as the Job is seen.
//   S2 Suspended      the CronJob was suspended at s (spec.suspend, or paused after failures): not a miss.
//   S3 deadline(s)    = min(s + startingDeadlineSeconds, the next slot): the CronJob controller only ever starts
//                     the most recent slot, so once the next slot has come, s can no longer start.
//                     s is final at deadline(s) + SLOT_MARGIN_SECONDS, or as soon as a Job for a later slot is
//                     seen (the controller has moved on); until then it is pending.
//   S4 SkippedOverlap runs of this Schedule (scheduled or manual) were active from s (started no later than
//                     s + margin) until deadline(s) - margin, gaps of at most the margin bridged: Forbid held it off.
//   S5 Missed         otherwise: nothing ran and nothing held it off (controller down or lagging, CronJob not
//                     applied). A run active at s that ended inside the deadline gives the controller time to
//                     start s late: Ran if it did, Missed if it did not.
//   S6 Watermark      every slot <= status.slots.watermark is decided; slots are decided in order and the
//                     watermark advances past each one, so the same state never decides a slot twice.
//   S7 Bounded        segments behind the watermark and run intervals that ended before it are pruned;
//                     at most SLOT_SEGMENT_LIMIT segments and SLOT_RUNS_LIMIT intervals are kept.
//
// The reconciler's part, each pass: prev = startSlotState(status, creationTimestamp, now); decideSlots(prev,
// {jobs: the owned Jobs from the synced cache, creationTime, inForce: segmentOf(cronJob as applied, paused)}, now);
// applySlotDecisions (history.ts) into the status it writes anyway; after that write succeeded, and only then,
// one Event per returned Missed/SkippedOverlap record and the slots_total metric from `counts`; requeue at
// nextDecisionAt (at once when `more`).
import { SLOT_RUNS_LIMIT, SLOT_SEGMENT_LIMIT, type SlotOutcome, type SlotRun, type SlotSegment, type SlotState } from '../api/schedule.js';
import type { CronJob, EventRecord, Job } from '../types/kube.js';
import { ANNOTATION_SCHEDULED_TIMESTAMP, jobFinishedAt, toRfc3339 } from './jobs.js';
import { nextRuns } from './next.js';

/** SLOT_MARGIN_SECONDS: a slot is final this long after its deadline (cache and controller latency), and gaps
 * this short between runs (or between a slot and a run's start) still count as "held off". */
export const SLOT_MARGIN_SECONDS = 10;
/** SLOT_RECORDS_PER_PASS caps the per-slot records one pass returns (the newest are kept); counts are never capped. */
export const SLOT_RECORDS_PER_PASS = 100;
/** SLOTS_PER_PASS caps the slots one pass decides; with more due, the result says `more` and the next pass goes on. */
export const SLOTS_PER_PASS = 10_000;

export const SlotReason = {
  Started: 'Started',
  StartedLate: 'StartedLate',
  Suspended: 'Suspended',
  PausedAfterFailures: 'PausedAfterFailures',
  RunActive: 'RunActive',
  NotStarted: 'NotStarted',
  CronJobNotApplied: 'CronJobNotApplied',
} as const;

/** SegmentSpec is the part of a CronJob's spec that decides its slots. */
export type SegmentSpec = Omit<SlotSegment, 'from'>;

export interface SlotObservations {
  /** jobs: ALL the Schedule's Jobs (owned by its CronJob) from a synced cache; a persisted running interval whose
   * Job is absent is taken as ended now. */
  jobs: Job[];
  /** creationTime: the Schedule's metadata.creationTimestamp; the first slot is the first instant after it. */
  creationTime: string;
  /** inForce: the CronJob's spec as this pass applied or observed it (undefined while there is no CronJob). */
  inForce?: SegmentSpec | undefined;
}

export interface SlotRecord {
  slot: string;
  outcome: SlotOutcome;
  reason: string;
  message: string;
  /** lateSeconds: for Ran, how long after the slot its Job was created or started. */
  lateSeconds?: number;
  jobName?: string;
}

export interface SlotDecisions {
  /** state: the next status.slots (persist it in the same status write as the counts). */
  state: SlotState;
  /** decided: per-slot records, oldest first, at most SLOT_RECORDS_PER_PASS (the newest ones). */
  decided: SlotRecord[];
  /** omitted: decided slots beyond the cap, by outcome (already in counts). */
  omitted: number;
  /** counts: how many slots this pass decided, by outcome. Exact. */
  counts: Record<SlotOutcome, number>;
  /** lastMissedTime: the newest slot decided Missed in this pass. */
  lastMissedTime?: string;
  /** nextDecisionAt: when the first pending slot becomes final (requeue then); undefined when nothing is ahead. */
  nextDecisionAt?: string;
  /** more: SLOTS_PER_PASS was reached with due slots left; requeue at once. */
  more: boolean;
  /**
   * changed: the state differs from `prev` in a way worth a status write of its own: a slot other than Suspended was
   * decided, an interval or segment changed, or `more`. False when only Suspended slots were decided: the pass may
   * skip its write (a later pass decides them again, the same way) - but then must not count them in metrics.
   */
  changed: boolean;
}

interface Slot {
  at: number; // unix ms
  segment: SlotSegment;
  first: boolean; // the segment is the oldest one kept (covers the time before its `from`)
}

interface Interval {
  job: string;
  start: number;
  end: number | undefined;
  scheduled: number | undefined;
}

const ms = (t: string): number => Date.parse(t);
/** iso formats unix ms of a whole second as RFC3339 UTC (what toRfc3339 gives, cheaper per slot). */
const iso = (v: number): string => `${new Date(v).toISOString().slice(0, 19)}Z`;
const MARGIN_MS = SLOT_MARGIN_SECONDS * 1000;

/** emptyCounts is a zero for every outcome. */
export function emptyCounts(): Record<SlotOutcome, number> {
  return { Ran: 0, SkippedOverlap: 0, Missed: 0, Suspended: 0, Suppressed: 0 };
}

/**
 * startSlotState is where slot accounting starts for a Schedule without status.slots: at its creation, or at
 * `now` for a Schedule that already had a status before slot accounting existed (an upgrade must not decide
 * months of slots as Missed for lack of facts).
 */
export function startSlotState(
  status: { slots?: SlotState | undefined; observedGeneration?: number | undefined } | undefined,
  creationTime: string,
  now: Date,
): SlotState {
  if (status?.slots) return status.slots;
  return { watermark: status?.observedGeneration !== undefined ? toRfc3339(now) : toRfc3339(creationTime) };
}

/** NO_DEADLINE_SECONDS stands for a CronJob without startingDeadlineSeconds (no limit: the next slot decides). */
const NO_DEADLINE_SECONDS = 366 * 86_400;

/** segmentOf is the spec in force of a CronJob as this pass applied or observed it (`paused`: status.pause is set). */
export function segmentOf(cronJob: CronJob | undefined, paused = false): SegmentSpec | undefined {
  if (!cronJob) return undefined;
  const spec: SegmentSpec = {
    cron: cronJob.spec.schedule,
    timeZone: cronJob.spec.timeZone ?? 'UTC',
    suspend: cronJob.spec.suspend === true,
    startingDeadlineSeconds: cronJob.spec.startingDeadlineSeconds ?? NO_DEADLINE_SECONDS,
  };
  if (paused && spec.suspend) spec.paused = true;
  return spec;
}

/** trackSegment appends the spec in force when it differs from the last segment (from = now). */
export function trackSegment(segments: SlotSegment[] | undefined, inForce: SegmentSpec | undefined, now: Date): SlotSegment[] {
  const list = [...(segments ?? [])];
  if (!inForce) return list;
  const last = list[list.length - 1];
  if (last && sameSpec(last, inForce)) return list;
  const seg: SlotSegment = {
    from: toRfc3339(now),
    cron: inForce.cron,
    timeZone: inForce.timeZone,
    suspend: inForce.suspend,
    startingDeadlineSeconds: inForce.startingDeadlineSeconds,
  };
  if (inForce.paused) seg.paused = true;
  list.push(seg);
  // A spec flapping faster than slots are decided: drop the oldest changes after the first (S7).
  while (list.length > SLOT_SEGMENT_LIMIT) list.splice(1, 1);
  return list;
}

function sameSpec(a: SegmentSpec, b: SegmentSpec): boolean {
  return (
    a.cron === b.cron &&
    a.timeZone === b.timeZone &&
    a.suspend === b.suspend &&
    a.startingDeadlineSeconds === b.startingDeadlineSeconds &&
    (a.paused ?? false) === (b.paused ?? false)
  );
}

/** jobInterval is when a Job was active: from its creation (the CronJob lists it as active from then) to its end. */
export function jobInterval(job: Job): SlotRun | undefined {
  const i = intervalOfJob(job);
  return i && runOf(i);
}

/** mergeIntervals: persisted intervals updated by the observed Jobs; a running interval whose Job is gone ends now. */
export function mergeIntervals(persisted: SlotRun[] | undefined, jobs: Job[], now: Date): SlotRun[] {
  return merge(persisted, jobs, now).map(runOf);
}

/** Interval: a SlotRun with its instants parsed once (unix ms), beside the texts it came from. */
interface Interval {
  job: string;
  start: number;
  startText: string;
  end: number | undefined;
  endText: string | undefined;
  scheduled: number | undefined;
  scheduledText: string | undefined;
}

function parsed(text: string | undefined): [number, string] | undefined {
  if (!text) return undefined;
  const t = ms(text);
  return Number.isFinite(t) ? [t, text] : undefined;
}

function intervalOfJob(job: Job): Interval | undefined {
  const created = parsed(job.metadata.creationTimestamp);
  const started = parsed(job.status?.startTime);
  const start = created && started ? (started[0] < created[0] ? started : created) : (created ?? started);
  if (!start) return undefined;
  const end = parsed(jobFinishedAt(job) ?? job.metadata.deletionTimestamp);
  const scheduled = parsed(job.metadata.annotations?.[ANNOTATION_SCHEDULED_TIMESTAMP]);
  return {
    job: job.metadata.name,
    start: start[0],
    startText: toRfc3339(start[1]),
    end: end?.[0],
    endText: end && toRfc3339(end[1]),
    scheduled: scheduled?.[0],
    scheduledText: scheduled && toRfc3339(scheduled[1]),
  };
}

function intervalOfRun(r: SlotRun): Interval {
  const end = parsed(r.end);
  const scheduled = parsed(r.scheduledTime);
  return {
    job: r.job,
    start: ms(r.start),
    startText: r.start,
    end: end?.[0],
    endText: end?.[1],
    scheduled: scheduled?.[0],
    scheduledText: scheduled?.[1],
  };
}

function runOf(i: Interval): SlotRun {
  const run: SlotRun = { job: i.job, start: i.startText };
  if (i.endText !== undefined) run.end = i.endText;
  if (i.scheduledText !== undefined) run.scheduledTime = i.scheduledText;
  return run;
}

function merge(persisted: SlotRun[] | undefined, jobs: Job[], now: Date): Interval[] {
  const byJob = new Map<string, Interval>();
  for (const r of persisted ?? []) byJob.set(r.job, intervalOfRun(r));
  const seen = new Set<string>();
  for (const job of jobs) {
    const observed = intervalOfJob(job);
    if (!observed) continue;
    seen.add(observed.job);
    const before = byJob.get(observed.job);
    if (before) {
      if (before.start < observed.start) [observed.start, observed.startText] = [before.start, before.startText];
      if (before.end !== undefined && observed.end === undefined) [observed.end, observed.endText] = [before.end, before.endText]; // a stale cache never reopens a run
      if (before.scheduled !== undefined && observed.scheduled === undefined)
        [observed.scheduled, observed.scheduledText] = [before.scheduled, before.scheduledText];
    }
    byJob.set(observed.job, observed);
  }
  for (const i of byJob.values()) {
    if (i.end === undefined && !seen.has(i.job)) [i.end, i.endText] = [now.getTime(), toRfc3339(now)];
  }
  return [...byJob.values()].sort((a, b) => a.start - b.start || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
}

/** decideSlots decides every due slot after the watermark, in order, and says what to persist. */
export function decideSlots(prev: SlotState | undefined, obs: SlotObservations, now: Date): SlotDecisions {
  const nowMs = now.getTime();
  const watermarkText = prev?.watermark ?? toRfc3339(obs.creationTime);
  let watermark = ms(watermarkText);
  const segments = trackSegment(prev?.segments, obs.inForce, now);
  const intervals = merge(prev?.runs, obs.jobs, now);
  const byScheduled = new Map<number, Interval>();
  let latestScheduled = -Infinity;
  for (const i of intervals) {
    if (i.scheduled === undefined) continue;
    if (!byScheduled.has(i.scheduled)) byScheduled.set(i.scheduled, i);
    latestScheduled = Math.max(latestScheduled, i.scheduled);
  }

  const counts = emptyCounts();
  const decided: Verdict[] = [];
  let lastMissed: number | undefined;
  let nextDecisionAt: number | undefined;
  let more = false;
  let n = 0;

  const slots = slotsAfter(segments, watermark);
  let cur = slots.next();
  while (!cur.done) {
    const slot = cur.value;
    const after = slots.next();
    const nextAt = after.done ? undefined : after.value.at;
    const record = decideOne(slot, nextAt, intervals, byScheduled, latestScheduled, nowMs);
    if (record.outcome === 'Pending') {
      nextDecisionAt = record.until;
      break;
    }
    if (n === SLOTS_PER_PASS) {
      more = true;
      nextDecisionAt = nowMs;
      break;
    }
    n++;
    counts[record.outcome]++;
    if (record.outcome === 'Missed') lastMissed = slot.at;
    decided.push(record);
    watermark = slot.at;
    cur = after;
  }

  const state: SlotState = { watermark: n ? iso(watermark) : watermarkText };
  const keptSegments = pruneSegments(segments, watermark);
  if (keptSegments.length) state.segments = keptSegments;
  const keptRuns = pruneRuns(intervals, watermark);
  if (keptRuns.length) state.runs = keptRuns.map(runOf);

  const omitted = Math.max(0, decided.length - SLOT_RECORDS_PER_PASS);
  const changed =
    more ||
    n > counts.Suspended ||
    JSON.stringify(state.segments ?? []) !== JSON.stringify(prev?.segments ?? []) ||
    JSON.stringify(state.runs ?? []) !== JSON.stringify(prev?.runs ?? []) ||
    (prev === undefined && n > 0);
  const result: SlotDecisions = { state, decided: decided.slice(omitted).map(describe), omitted, counts, more, changed };
  if (lastMissed !== undefined) result.lastMissedTime = iso(lastMissed);
  if (nextDecisionAt !== undefined) result.nextDecisionAt = iso(nextDecisionAt);
  return result;
}

/** Verdict: a decision before it is put in words (only the records a pass returns are). */
type Verdict =
  | { outcome: 'Ran'; slot: Slot; run: Interval }
  | { outcome: 'Suspended'; slot: Slot }
  | { outcome: 'SkippedOverlap' | 'Missed'; slot: Slot; deadline: number; holders?: string[] };
type Decision = Verdict | { outcome: 'Pending'; until: number | undefined };

function decideOne(
  slot: Slot,
  nextAt: number | undefined,
  intervals: Interval[],
  byScheduled: Map<number, Interval>,
  latestScheduled: number,
  nowMs: number,
): Decision {
  const s = slot.at;
  // S1 Ran: decided as soon as its Job is seen, even before the slot's deadline.
  const run = byScheduled.get(s);
  if (run) return { outcome: 'Ran', slot, run };
  // S2 Suspended at s.
  // A future suspended slot needs no requeue: any later pass decides it (nothing to show, nothing to count but the metric).
  if (slot.segment.suspend) return s > nowMs ? { outcome: 'Pending', until: undefined } : { outcome: 'Suspended', slot };
  // S3 final at the deadline (plus margin), or once the controller started a later slot.
  const deadline = Math.min(s + slot.segment.startingDeadlineSeconds * 1000, nextAt ?? Infinity);
  const final = deadline + MARGIN_MS;
  if (nowMs < final && latestScheduled <= s) return { outcome: 'Pending', until: final };
  // S4 SkippedOverlap: held off by runs active from s until the deadline; S5 Missed otherwise.
  const holders = heldOff(s, deadline, intervals);
  return holders ? { outcome: 'SkippedOverlap', slot, deadline, holders } : { outcome: 'Missed', slot, deadline };
}

function describe(v: Verdict): SlotRecord {
  const slot = iso(v.slot.at);
  switch (v.outcome) {
    case 'Ran': {
      const late = Math.max(0, Math.round((v.run.start - v.slot.at) / 1000));
      const onTime = late <= SLOT_MARGIN_SECONDS;
      return {
        slot,
        outcome: 'Ran',
        reason: onTime ? SlotReason.Started : SlotReason.StartedLate,
        message: onTime ? `Job ${v.run.job} started on time` : `Job ${v.run.job} started ${late}s after the slot`,
        lateSeconds: late,
        jobName: v.run.job,
      };
    }
    case 'Suspended': {
      const paused = v.slot.segment.paused === true;
      return {
        slot,
        outcome: 'Suspended',
        reason: paused ? SlotReason.PausedAfterFailures : SlotReason.Suspended,
        message: paused ? 'the Schedule was paused after consecutive failures' : 'the CronJob was suspended (spec.suspend)',
      };
    }
    case 'SkippedOverlap':
      return {
        slot,
        outcome: 'SkippedOverlap',
        reason: SlotReason.RunActive,
        message: `not started: Job ${(v.holders ?? []).join(', ')} was still running until the slot's deadline ${iso(v.deadline)} (concurrencyPolicy Forbid)`,
      };
    case 'Missed':
      if (v.slot.first && v.slot.at < ms(v.slot.segment.from)) {
        return {
          slot,
          outcome: 'Missed',
          reason: SlotReason.CronJobNotApplied,
          message: `no CronJob existed yet at the slot (the operator first applied it at ${v.slot.segment.from})`,
        };
      }
      return {
        slot,
        outcome: 'Missed',
        reason: SlotReason.NotStarted,
        message: `no Job started by the slot's deadline ${iso(v.deadline)} and no run was active: the CronJob controller was down or lagging, or could not create the Job (see the CronJob's Events)`,
      };
  }
}

/** heldOff names the runs that covered [s, deadline] (gaps up to the margin bridged), or undefined. */
function heldOff(s: number, deadline: number, intervals: Interval[]): string[] | undefined {
  const covering = intervals.filter((i) => i.start <= s + MARGIN_MS && (i.end === undefined || i.end >= s));
  if (!covering.length) return undefined;
  const names = new Set<string>();
  let reach = -Infinity;
  for (const i of covering) {
    reach = Math.max(reach, i.end ?? Infinity);
    names.add(i.job);
  }
  for (let grew = true; grew && reach < deadline - MARGIN_MS; ) {
    grew = false;
    for (const i of intervals) {
      const end = i.end ?? Infinity;
      if (i.start <= reach + MARGIN_MS && end > reach) {
        reach = end;
        names.add(i.job);
        grew = true;
      }
    }
  }
  return reach >= deadline - MARGIN_MS ? [...names].sort() : undefined;
}

/** slotsAfter yields the slots strictly after `watermark` in order, each with the segment in force at it. */
function* slotsAfter(segments: SlotSegment[], watermark: number): Generator<Slot> {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const from = i === 0 ? watermark : Math.max(watermark, ms(segment.from) - 1000); // a slot at `from` is this segment's
    const until = i + 1 < segments.length ? ms(segments[i + 1]!.from) : Infinity;
    let cursor = new Date(from);
    // A pass usually needs two slots (the one to decide and the next); a catch-up needs many: batches grow.
    for (let size = 2; ; size = Math.min(size * 2, 256)) {
      let batch: Date[];
      try {
        batch = nextRuns(segment.cron, segment.timeZone, cursor, size);
      } catch {
        break; // a CronJob schedule nextRuns cannot preview (edited by hand, @every): no slots for this segment
      }
      let stop = batch.length < size;
      for (const t of batch) {
        if (t.getTime() >= until) {
          stop = true;
          break;
        }
        yield { at: t.getTime(), segment, first: i === 0 };
      }
      if (stop) break;
      cursor = batch[batch.length - 1]!;
    }
  }
}

/** pruneSegments keeps the segment in force at the watermark and those after it (S7). */
function pruneSegments(segments: SlotSegment[], watermark: number): SlotSegment[] {
  let firstKept = 0;
  for (let i = 1; i < segments.length; i++) if (ms(segments[i]!.from) <= watermark) firstKept = i;
  return segments.slice(firstKept);
}

/** pruneRuns drops intervals that ended before the watermark, then keeps at most SLOT_RUNS_LIMIT (running and newest first). */
function pruneRuns(runs: Interval[], watermark: number): Interval[] {
  const kept = runs.filter((r) => r.end === undefined || r.end >= watermark);
  if (kept.length <= SLOT_RUNS_LIMIT) return kept;
  const ranked = [...kept].sort((a, b) => Number(a.end !== undefined) - Number(b.end !== undefined) || b.start - a.start);
  const keep = new Set(ranked.slice(0, SLOT_RUNS_LIMIT));
  return kept.filter((r) => keep.has(r));
}

/** Event reasons for slots that did not run (one Event per slot, emitted after the status write that decided it). */
export const SlotEventReason = { Missed: 'SlotMissed', SkippedOverlap: 'SlotSkipped' } as const;

/**
 * slotEvents are the Events of one pass's decisions: a Warning per Missed or SkippedOverlap record, and one summary
 * when the pass decided more slots than it returned records for. Emit them only after the status write that moved
 * the watermark succeeded: a slot is then announced at most once (a crash in between loses its Event, never doubles it).
 */
export function slotEvents(decisions: SlotDecisions): EventRecord[] {
  const events: EventRecord[] = [];
  if (decisions.omitted > 0) {
    const c = decisions.counts;
    events.push({
      type: 'Warning',
      reason: SlotEventReason.Missed,
      action: 'DecideSlots',
      message: `decided ${decisions.omitted} more slots than listed (in all this pass: ${c.Ran} ran, ${c.Missed} missed, ${c.SkippedOverlap} skipped, ${c.Suspended} suspended); see status.runs`,
    });
  }
  for (const d of decisions.decided) {
    if (d.outcome !== 'Missed' && d.outcome !== 'SkippedOverlap') continue;
    events.push({
      type: 'Warning',
      reason: SlotEventReason[d.outcome],
      action: 'DecideSlots',
      message: `slot ${d.slot} ${d.outcome === 'Missed' ? 'missed' : 'skipped'}: ${d.message}`,
    });
  }
  return events;
}
