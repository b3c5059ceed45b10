// pauseAfterConsecutiveFailures on a real control plane: two failed runs pause the Schedule (the CronJob suspended,
// spec untouched, Suspended=True PausedAfterFailures, schedule_operator_paused 1); a resume token resumes it once;
// the same token again does nothing; a new token resumes again. Runs are started by run-now (a failing template:
// kwok's failure stage), so the test does not wait for scheduled slots.
import { describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, schedulesPath } from '../support/kube.js';
import { applySchedule, requestRun, waitCounted, waitReady } from './ledger-helpers.js';
import { metric } from './slots-helpers.js';

const env = useOperatorNamespace('slots-pause', { ledgerPolicy: true });
const NAME = 'flaky';

const resume = (token: string | null) =>
  env.kube.patch(schedulesPath(env.ns, NAME), { metadata: { annotations: { 'schedule-operator.io/resume-requested-at': token } } });
const get = () => env.kube.get(schedulesPath(env.ns, NAME));
const suspended = (s: any) => s?.status?.conditions?.find((c: any) => c.type === 'Suspended');

/** fail runs one failed run-now Job and waits until it is counted. */
async function fail(n: number): Promise<any> {
  await requestRun(env.kube, env.ns, NAME, `run-${n}`);
  return waitCounted(env.kube, env.ns, NAME, n, 60_000);
}

async function waitPaused(paused: boolean): Promise<any> {
  return eventually(
    `Schedule ${NAME} ${paused ? 'paused, CronJob suspended' : 'resumed, CronJob not suspended'}`,
    async () => {
      const [s, cj] = await Promise.all([get(), env.kube.get(cronJobsPath(env.ns, NAME))]);
      return (s?.status?.pause !== undefined) === paused && cj?.spec?.suspend === paused ? s : undefined;
    },
    30_000,
    200,
  );
}

describe('pause after consecutive failures', () => {
  it('pauses after the second failure, resumes once per token', async () => {
    await applySchedule(env.kube, env.ns, NAME, { pauseAfterConsecutiveFailures: 2 }, { fail: true });
    await waitReady(env.kube, env.ns, NAME);

    const one = await fail(1);
    expect(one.status.pause).toBeUndefined();
    await fail(2);
    let s = await waitPaused(true);
    expect(s.spec.suspend).toBe(false); // spec untouched: GitOps tools see no drift
    expect(s.status.pause).toMatchObject({ reason: 'PausedAfterFailures' });
    expect(s.status.pause.jobs).toHaveLength(2);
    expect(suspended(s)).toMatchObject({ status: 'True', reason: 'PausedAfterFailures' });
    expect(s.status.nextRunTime).toBeUndefined();
    expect(await metric(env.operator!, 'schedule_operator_paused', { namespace: env.ns, schedule: NAME })).toBe(1);
    expect(await metric(env.operator!, 'schedule_operator_consecutive_failures', { namespace: env.ns, schedule: NAME })).toBe(2);
    const events = await env.kube.get(`/api/v1/namespaces/${env.ns}/events?fieldSelector=involvedObject.name=${NAME}`);
    expect(events.items.filter((e: any) => e.reason === 'PausedAfterFailures')).toHaveLength(1);

    await resume('fix-1');
    s = await waitPaused(false);
    expect(s.status.lastHandledResumeRequest).toBe('fix-1');
    expect(suspended(s)).toMatchObject({ status: 'False' });
    expect(await metric(env.operator!, 'schedule_operator_paused', { namespace: env.ns, schedule: NAME })).toBe(0);

    // Two more failures pause it again (counted from the resume).
    await fail(3);
    expect((await get()).status.pause).toBeUndefined();
    await fail(4);
    await waitPaused(true);

    // The same token again (removed and set back, as re-applying an old manifest does) does nothing.
    await resume(null);
    await resume('fix-1');
    await new Promise((r) => setTimeout(r, 5000)); // several resyncs (5 s) and the annotation's own events
    s = await get();
    expect(s.status.pause).toBeDefined();
    expect((await env.kube.get(cronJobsPath(env.ns, NAME))).spec.suspend).toBe(true);

    await resume('fix-2');
    s = await waitPaused(false);
    expect(s.status.lastHandledResumeRequest).toBe('fix-2');
  });
});
