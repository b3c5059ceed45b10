// Helpers of the slot-accounting integration tests (slots-*.test.ts): the operator's metrics, the Jobs the test
// itself observes (polled, independent of the operator), the outcome each every-minute slot should have by those
// observations (the rules of docs/ledger.md, "Slots", applied to what the test saw), and every status version the
// Schedule went through (to count writes that only slot accounting caused).
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { eventually, jobsPath, schedulesPath, type TestKube } from '../support/kube.js';
import type { OperatorProcess } from '../support/operator.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** metric sums the samples of one metric whose labels include `labels`, from the operator's /metrics. */
export async function metric(op: OperatorProcess, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(op.metricsUrl)).text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum = (sum ?? 0) + Number(m[4]);
  }
  return sum;
}

export interface SeenJob {
  name: string;
  /** created: creationTimestamp (ms). */
  created: number;
  /** scheduled: the slot in batch.kubernetes.io/cronjob-scheduled-timestamp (ms); undefined for a manual run. */
  scheduled: number | undefined;
  /** ended: completion (or the terminal condition's time), ms; undefined while it runs. */
  ended: number | undefined;
}

/** JobPoller lists the Schedule's Jobs every `everyMs` and keeps what it saw of each (also after they are deleted). */
export class JobPoller {
  readonly jobs = new Map<string, SeenJob>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kube: TestKube,
    private readonly ns: string,
    private readonly schedule: string,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    const tick = async () => {
      await this.poll().catch(() => undefined);
      this.timer = setTimeout(() => void tick(), this.everyMs);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  async poll(): Promise<void> {
    const list = await this.kube.get(`${jobsPath(this.ns)}?labelSelector=schedule-operator.io/schedule=${this.schedule}`);
    for (const j of list?.items ?? []) {
      const done = (j.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      const scheduled = j.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
      const created = Date.parse(j.metadata.creationTimestamp);
      const started = j.status?.startTime ? Date.parse(j.status.startTime) : created;
      this.jobs.set(j.metadata.uid, {
        name: j.metadata.name,
        created: Math.min(created, started),
        scheduled: scheduled ? Date.parse(scheduled) : undefined,
        ended: done ? Date.parse(j.status.completionTime ?? done.lastTransitionTime) : undefined,
      });
    }
  }
}

export type Outcome = 'Ran' | 'SkippedOverlap' | 'Missed';
const MARGIN = 10_000;

/**
 * expectedOutcomes: each slot of an every-minute schedule after `creation` up to `until` (inclusive), judged by the
 * Jobs the test saw: Ran when a Job carries the slot; SkippedOverlap when runs were active from at most 10 s after
 * the slot until 10 s before its deadline (the next slot, startingDeadlineSeconds being longer than a minute);
 * Missed otherwise.
 */
export function expectedOutcomes(creation: number, until: number, jobs: SeenJob[]): Array<{ slot: string; outcome: Outcome }> {
  const out: Array<{ slot: string; outcome: Outcome }> = [];
  const first = Math.floor(creation / 60_000) * 60_000 + 60_000;
  for (let s = first; s <= until; s += 60_000) {
    const deadline = s + 60_000;
    let outcome: Outcome;
    if (jobs.some((j) => j.scheduled === s)) outcome = 'Ran';
    else {
      let reach = -Infinity;
      for (const j of jobs) if (j.created <= s + MARGIN && (j.ended ?? Infinity) >= s) reach = Math.max(reach, j.ended ?? Infinity);
      for (let grew = reach > -Infinity; grew && reach < deadline - MARGIN; ) {
        grew = false;
        for (const j of jobs) {
          const end = j.ended ?? Infinity;
          if (j.created <= reach + MARGIN && end > reach) {
            reach = end;
            grew = true;
          }
        }
      }
      outcome = reach >= deadline - MARGIN ? 'SkippedOverlap' : 'Missed';
    }
    out.push({ slot: new Date(s).toISOString().replace('.000Z', 'Z'), outcome });
  }
  return out;
}

export interface DecidedSlots {
  /** schedule: the Schedule once its watermark reached the last slot. */
  schedule: any;
  /** expected: every slot up to the watermark, judged by the Jobs the test saw. */
  expected: Array<{ slot: string; outcome: Outcome }>;
  /** count: how many of the expected slots have the outcome. */
  count: (outcome: Outcome) => number;
  /** slotEntries: the slot entries of status.recentRuns (those with an outcome). */
  slotEntries: Array<{ slot: string; outcome: string }>;
}

/**
 * waitSlotsDecided waits until the Schedule's watermark reaches the slot `lastSlotMs` after the first slot `T`, has the
 * poller look at the Jobs once more and stops it, then judges every slot up to the watermark by what the test saw.
 */
export async function waitSlotsDecided(
  kube: TestKube,
  ns: string,
  name: string,
  poller: JobPoller,
  slots: { creation: number; T: number; lastSlotMs: number; timeoutMs: number },
): Promise<DecidedSlots> {
  const s = await eventually(
    `slot T+${slots.lastSlotMs / 1000} decided`,
    async () => {
      const got = await kube.get(schedulesPath(ns, name));
      return Date.parse(got?.status?.slots?.watermark ?? '') >= slots.T + slots.lastSlotMs ? got : undefined;
    },
    slots.timeoutMs,
    500,
  );
  await poller.poll();
  poller.stop();

  const watermark = Date.parse(s.status.slots.watermark);
  const expected = expectedOutcomes(slots.creation, watermark, [...poller.jobs.values()]);
  const slotEntries = (s.status.recentRuns ?? [])
    .filter((r: any) => r.outcome)
    .map((r: any) => ({ slot: r.scheduledTime, outcome: r.outcome }));
  return { schedule: s, expected, count: (o) => expected.filter((e) => e.outcome === o).length, slotEntries };
}

/** expectSlotsCounted: runs.missed, runs.skipped and the slot entries of recentRuns are exactly the test's judgement. */
export function expectSlotsCounted({ schedule, expected, count, slotEntries }: DecidedSlots): void {
  expect(schedule.status.runs.missed ?? 0).toBe(count('Missed'));
  expect(schedule.status.runs.skipped ?? 0).toBe(count('SkippedOverlap'));
  expect([...slotEntries].sort((a, b) => (a.slot < b.slot ? -1 : 1))).toEqual(expected.filter((e) => e.outcome !== 'Ran'));
}

/** ScheduleVersions records every version of one Schedule's status a watch delivers (one per write). */
export class ScheduleVersions {
  readonly versions: any[] = [];
  private abort: AbortController | undefined;

  constructor(
    private readonly kubeconfig: string,
    private readonly ns: string,
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    let rv: string | undefined;
    const begin = async () => {
      this.abort = await new Watch(kc).watch(
        schedulesPath(this.ns),
        { fieldSelector: `metadata.name=${this.name}`, ...(rv ? { resourceVersion: rv } : {}) },
        (phase, obj: any) => {
          if (phase === 'BOOKMARK' || !obj?.metadata) return;
          rv = obj.metadata.resourceVersion;
          this.versions.push(obj);
        },
        () => void setTimeout(() => void begin().catch(() => undefined), 100),
      );
    };
    await begin();
  }

  stop(): void {
    this.abort?.abort();
  }

  /**
   * statusWrites: versions whose status differs from the one before. slotOnly: those whose difference is only in
   * what slot accounting keeps (status.slots, runs.missed/skipped, lastMissedTime, the slot entries of recentRuns).
   */
  writes(): { statusWrites: number; slotOnly: number } {
    let statusWrites = 0;
    let slotOnly = 0;
    for (let i = 1; i < this.versions.length; i++) {
      const a = this.versions[i - 1].status ?? {};
      const b = this.versions[i].status ?? {};
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      statusWrites++;
      if (JSON.stringify(withoutSlots(a)) === JSON.stringify(withoutSlots(b))) slotOnly++;
    }
    return { statusWrites, slotOnly };
  }
}

function withoutSlots(status: any): any {
  const { slots: _slots, lastMissedTime: _l, ...rest } = status;
  const runs = rest.runs ? { ...rest.runs, missed: undefined, skipped: undefined } : undefined;
  const recentRuns = (rest.recentRuns ?? []).filter((r: any) => r.jobName !== undefined);
  return { ...rest, runs, recentRuns };
}
