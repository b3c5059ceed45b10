// Slot decisions per second of the pure decideSlots (src/schedule/slots.ts) over 10,000 Schedules:
//   npx tsx bench/slots.ts            (prints each round and the median of 3)
// Two shapes of pass, each over the whole fleet (schedules of several frequencies and time zones):
//   steady    every Schedule's pass decides the one slot that just became final (what a reconcile does after a run)
//   catch-up  the operator was down for 6 hours: each pass decides all slots of those hours (every-minute
//             Schedules: 360 slots each, hourly: 6), with the Jobs the ledger finalizer kept
// Nothing is asserted; the machine is shared, so read the median, not one round.
import type { SlotSegment, SlotState } from '../src/api/schedule.js';
import type { Job } from '../src/types/kube.js';
import { nextRuns } from '../src/schedule/next.js';
import { decideSlots } from '../src/schedule/slots.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 10_000);
const ROUNDS = 3;
const CREATED = '2026-03-01T00:00:00Z';
const SPECS: Array<[string, string]> = [
  ['* * * * *', 'UTC'],
  ['*/5 * * * *', 'Europe/Berlin'],
  ['0 * * * *', 'America/New_York'],
  ['30 2 * * *', 'Europe/Berlin'],
  ['*/15 9-17 * * 1-5', 'Asia/Kolkata'],
];

interface Member {
  state: SlotState;
  jobs: Job[];
  now: Date;
}

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function member(i: number, hours: number): Member {
  const [cron, timeZone] = SPECS[i % SPECS.length]!;
  const segment: SlotSegment = { from: CREATED, cron, timeZone, suspend: false, startingDeadlineSeconds: 300 };
  const end = new Date(Date.parse('2026-03-02T12:00:00Z'));
  const from = new Date(end.getTime() - hours * 3600_000);
  // Slots in the window; the controller ran 9 of 10 (the rest Missed), each run 20 s.
  const slots = nextRuns(cron, timeZone, from, 400).filter((t) => t.getTime() <= end.getTime());
  const jobs: Job[] = slots
    .filter((_, k) => k % 10 !== 9)
    .map((t, k) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: `s${i}-${k}`,
        creationTimestamp: iso(new Date(t.getTime() + 1000)),
        annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': iso(t) },
      },
      status: {
        startTime: iso(new Date(t.getTime() + 1000)),
        completionTime: iso(new Date(t.getTime() + 21_000)),
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    }));
  // "now" is late enough for every slot of the window to be final.
  const last = nextRuns(cron, timeZone, end, 1)[0]!;
  return {
    state: { watermark: iso(from), segments: [segment] },
    jobs,
    now: new Date(Math.min(last.getTime(), end.getTime() + 300_000) + 11_000),
  };
}

function round(fleet: Member[]): { ms: number; slots: number } {
  const t = performance.now();
  let slots = 0;
  for (const m of fleet) {
    const r = decideSlots(m.state, { jobs: m.jobs, creationTime: CREATED }, m.now);
    slots += r.counts.Ran + r.counts.Missed + r.counts.SkippedOverlap + r.counts.Suspended;
  }
  return { ms: performance.now() - t, slots };
}

function run(name: string, fleet: Member[]): void {
  round(fleet); // one discarded round warms the JIT and the zone caches
  const rounds = Array.from({ length: ROUNDS }, () => round(fleet));
  for (const [k, r] of rounds.entries())
    console.log(`  ${name} round ${k + 1}: ${r.slots.toLocaleString('en-US')} slots in ${r.ms.toFixed(0)} ms`);
  const perSecond = rounds.map((r) => (r.slots / r.ms) * 1000).sort((a, b) => a - b);
  const passes = rounds.map((r) => (fleet.length / r.ms) * 1000).sort((a, b) => a - b);
  console.log(
    `${name}: median ${Math.round(perSecond[1]!).toLocaleString('en-US')} slot decisions/s, ${Math.round(passes[1]!).toLocaleString('en-US')} Schedule passes/s (${fleet.length.toLocaleString('en-US')} Schedules, ${rounds[0]!.slots.toLocaleString('en-US')} slots per round)`,
  );
}

console.log(`Node ${process.version}, ${FLEET.toLocaleString('en-US')} Schedules, median of ${ROUNDS} rounds`);
// steady: the window is the last slot only (watermark just before it).
run(
  'steady  ',
  Array.from({ length: FLEET }, (_, i) => steady(member(i, 48))),
);
run(
  'catch-up',
  Array.from({ length: FLEET }, (_, i) => member(i, 6)),
);

function steady(m: Member): Member {
  const last = m.jobs[m.jobs.length - 1]!;
  const slot = last.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']!;
  return {
    state: { ...m.state, watermark: iso(new Date(Date.parse(slot) - 1000)) },
    jobs: m.jobs.slice(-3),
    now: new Date(Date.parse(slot) + 30_000),
  };
}
