// Skipped slots counted exactly, on a real control plane, while the operator is SIGKILLed every ~40 s: an
// every-minute Schedule whose runs last 150 s (kwok's delay annotation), so Forbid holds slots off. The test
// observes the Jobs itself (a poll of the Job list, independent of the operator) and judges every slot up to the
// operator's final watermark by the rules of docs/ledger.md: the operator's runs.skipped / runs.missed and the
// slot entries of recentRuns must be exactly that. Also measured: how many status writes slot accounting alone caused.
//
// Timeline (T = the first slot; the Schedule is created ~10 s before it): T Ran (job A, to T+150), T+60 held off by A
// (SkippedOverlap), T+120 started late when A ends (Ran, ~30 s late), T+180 held off by that run (SkippedOverlap,
// final at T+250). About 5 minutes (the 150 s runs make it so).
import { afterAll, describe, expect, it } from 'vitest';
import { scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { schedulesPath } from '../support/kube.js';
import { SINGLE_REPLICA } from './faults-helpers.js';
import { expectSlotsCounted, JobPoller, ScheduleVersions, sleep, waitSlotsDecided } from './slots-helpers.js';

const env = useOperatorNamespace('slots-overlap', { ledgerPolicy: true, args: SINGLE_REPLICA, env: { LOG_LEVEL: 'info' } });
const NAME = 'long';
let poller: JobPoller | undefined;
let versions: ScheduleVersions | undefined;
afterAll(() => {
  poller?.stop();
  versions?.stop();
});

describe('skipped slots under SIGKILL', () => {
  it('counts every slot Forbid held off exactly once, while the operator is killed every ~40 s', async () => {
    // Create the Schedule 8-15 s before a minute starts, so the first slot comes at once.
    const sec = new Date().getUTCSeconds();
    if (sec < 45 || sec > 52) await sleep(((45 - sec + 60) % 60) * 1000);
    const manifest = scheduleManifest(env.ns, NAME, { schedule: '* * * * *', successfulJobsHistoryLimit: 10 });
    (manifest.spec.jobTemplate.spec.template as any).metadata = { annotations: { 'pod-complete.stage.kwok.x-k8s.io/delay': '150s' } };
    const created = await env.kube.apply(schedulesPath(env.ns, NAME), manifest);
    const creation = Date.parse(created.metadata.creationTimestamp);
    const T = Math.floor(creation / 60_000) * 60_000 + 60_000;
    poller = new JobPoller(env.kube, env.ns, NAME, 1000);
    poller.start();
    versions = new ScheduleVersions(env.kubeconfig, env.ns, NAME);
    await versions.start();

    const kills: string[] = [];
    while (Date.now() < T + 245_000) {
      await sleep(35_000 + Math.random() * 10_000);
      if (Date.now() >= T + 245_000) break;
      await env.stop('SIGKILL');
      const down = 500 + Math.random() * 2500;
      kills.push(`${Math.round((Date.now() - T) / 1000)}s (down ${Math.round(down)} ms)`);
      await sleep(down);
      await env.start({ waitReady: false });
    }
    const decided = await waitSlotsDecided(env.kube, env.ns, NAME, poller, { creation, T, lastSlotMs: 180_000, timeoutMs: 60_000 });
    const { schedule: s, expected, count, slotEntries } = decided;
    const events = (await env.kube.get(`/api/v1/namespaces/${env.ns}/events?fieldSelector=involvedObject.name=${NAME}`)).items.filter(
      (e: any) => e.reason === 'SlotSkipped' || e.reason === 'SlotMissed',
    );
    const w = versions.writes();
    console.log(
      [
        `slots-overlap: first slot ${new Date(T).toISOString()}, watermark ${s.status.slots.watermark}`,
        `  kills at ${kills.join(', ')}`,
        `  expected by the test's own observations: ${expected.map((e) => `${e.slot.slice(11, 16)} ${e.outcome}`).join(', ')}`,
        `  status.runs ${JSON.stringify(s.status.runs)}; slot entries in recentRuns ${JSON.stringify(slotEntries)}`,
        `  Jobs seen: ${[...poller.jobs.values()].map((j) => `${j.name} slot ${j.scheduled ? new Date(j.scheduled).toISOString().slice(11, 19) : '-'} ${Math.round((j.created - T) / 1000)}s..${j.ended ? Math.round((j.ended - T) / 1000) : '?'}s`).join('; ')}`,
        `  slot Events: ${events.length}; status writes: ${w.statusWrites}, of them slot-only: ${w.slotOnly}`,
      ].join('\n'),
    );

    expect(kills.length).toBeGreaterThanOrEqual(4);
    expect(count('SkippedOverlap')).toBeGreaterThanOrEqual(2); // the scenario happened as designed
    expectSlotsCounted(decided);
    // One Event per decided slot at most (a kill between the write and the Event may lose one, never doubles it).
    const perSlot = new Map<string, number>();
    for (const e of events) {
      const slot = /slot (\S+) /.exec(e.message)?.[1] ?? '?';
      perSlot.set(slot, (perSlot.get(slot) ?? 0) + (e.count ?? 1));
    }
    expect([...perSlot.values()].every((n) => n === 1)).toBe(true);
    expect(perSlot.size).toBeLessThanOrEqual(count('SkippedOverlap') + count('Missed'));
  }, 360_000);
});
