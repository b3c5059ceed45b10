// Missed slots counted exactly, on a control plane of this file's own: kube-controller-manager (the CronJob
// controller) is stopped for 3 minutes and started again, while the operator is SIGKILLed every ~40 s. The slots that
// fell in the outage and that the CronJob controller did not start late are Missed, the one it started late when it
// came back is Ran; the test judges every slot by the Jobs it saw itself (docs/ledger.md rules) and compares.
//
// Timeline (T = the first slot, the Schedule is created ~10 s before it): T Ran; the controller manager is stopped at
// T+20 s and started at ~T+200 s; T+60 and T+120 Missed (deadline = the next slot); T+180 started late when the
// controller is back (Ran); T+240 Ran. About 4.5 minutes.
import { afterAll, describe, expect, it } from 'vitest';
import { useControlPlane } from '../support/control-plane.js';
import { scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import { keepLogs, SINGLE_REPLICA } from './faults-helpers.js';
import { expectSlotsCounted, JobPoller, sleep, waitSlotsDecided } from './slots-helpers.js';

const plane = useControlPlane('slots-kcm');
const env = useOperatorNamespace('slots-kcm', {
  kubeconfig: () => plane.current.kubeconfig,
  ledgerPolicy: true,
  args: SINGLE_REPLICA,
  env: { LOG_LEVEL: 'info' },
});
const NAME = 'minutely';
let poller: JobPoller | undefined;
afterAll(() => {
  poller?.stop();
  keepLogs(env.operator, plane.current.dir);
});

/** killEvery SIGKILLs and restarts the operator every ~40 s until `until`; returns what it did. */
async function killEvery(until: number, T: number): Promise<string[]> {
  const kills: string[] = [];
  while (Date.now() < until) {
    await sleep(Math.min(35_000 + Math.random() * 10_000, Math.max(0, until - Date.now())));
    if (Date.now() >= until) break;
    await env.stop('SIGKILL');
    const down = 500 + Math.random() * 2500;
    kills.push(`${Math.round((Date.now() - T) / 1000)}s (down ${Math.round(down)} ms)`);
    await sleep(down);
    await env.start({ waitReady: false });
  }
  return kills;
}

describe('the CronJob controller stopped for 3 minutes', () => {
  it('counts the slots it missed exactly, and the slot it started late as Ran, while the operator is SIGKILLed', async () => {
    const sec = new Date().getUTCSeconds();
    if (sec < 45 || sec > 52) await sleep(((45 - sec + 60) % 60) * 1000);
    const created = await env.kube.apply(schedulesPath(env.ns, NAME), scheduleManifest(env.ns, NAME, { schedule: '* * * * *' }));
    const creation = Date.parse(created.metadata.creationTimestamp);
    const T = Math.floor(creation / 60_000) * 60_000 + 60_000;
    poller = new JobPoller(env.kube, env.ns, NAME, 1000);
    poller.start();

    const killing = killEvery(T + 245_000, T);
    await eventually('the first slot to run', async () => [...poller!.jobs.values()].some((j) => j.scheduled === T), 60_000, 500);
    await sleep(Math.max(0, T + 20_000 - Date.now()));
    const stoppedAt = Date.now();
    await plane.current.stop('kube-controller-manager');
    await sleep(180_000 - (Date.now() - stoppedAt));
    const back = await plane.current.start('kube-controller-manager');
    const kills = await killing;

    const decided = await waitSlotsDecided(env.kube, env.ns, NAME, poller, { creation, T, lastSlotMs: 240_000, timeoutMs: 90_000 });
    const { schedule: s, expected, count, slotEntries } = decided;
    const late = [...poller.jobs.values()].find((j) => j.scheduled === T + 180_000);
    console.log(
      [
        `slots-kcm-down: first slot ${new Date(T).toISOString()}, controller manager down ${Math.round((stoppedAt - T) / 1000)}s..${Math.round((back.readyAtMs - T) / 1000)}s, watermark ${s.status.slots.watermark}`,
        `  kills at ${kills.join(', ')}`,
        `  expected by the test's own observations: ${expected.map((e) => `${e.slot.slice(11, 16)} ${e.outcome}`).join(', ')}`,
        `  status.runs ${JSON.stringify(s.status.runs)}, lastMissedTime ${s.status.lastMissedTime}; slot entries ${JSON.stringify(slotEntries)}`,
        `  the late slot's Job: ${late ? `${late.name}, created ${Math.round((late.created - T - 180_000) / 1000)} s after its slot` : 'none'}`,
      ].join('\n'),
    );

    expect(kills.length).toBeGreaterThanOrEqual(4);
    expect(count('Missed')).toBeGreaterThanOrEqual(2); // the outage happened as designed
    expectSlotsCounted(decided);
    expect(late, 'the CronJob controller started the last slot of the outage late').toBeDefined();
    expect(expected.find((e) => Date.parse(e.slot) === T + 180_000)?.outcome).toBe('Ran');
    expect(s.status.lastMissedTime).toBe(new Date(T + 120_000).toISOString().replace('.000Z', 'Z'));
  }, 400_000);
});
