// The dead-man switch on a real control plane: an every-minute Schedule whose runs all fail, with
// expectSuccessWithin: 2m, turns Overdue=True two minutes after its creation (no event needed: the operator
// requeues itself for that instant), with one Warning Event and schedule_operator_overdue 1; a successful run
// (the template without kwok's failure label, started by run-now) turns it False with reason SucceededRecently.
import { describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import { applySchedule, requestRun, waitReady } from './ledger-helpers.js';
import { metric } from './slots-helpers.js';

const env = useOperatorNamespace('slots-overdue', { ledgerPolicy: true, resyncPeriod: '10m' });
const NAME = 'deadman';
const SPEC = { schedule: '* * * * *', expectSuccessWithin: '2m' };

const get = () => env.kube.get(schedulesPath(env.ns, NAME));
const overdue = (s: any) => s?.status?.conditions?.find((c: any) => c.type === 'Overdue');
const eventsNamed = async (reason: string) =>
  (await env.kube.get(`/api/v1/namespaces/${env.ns}/events?fieldSelector=involvedObject.name=${NAME}`)).items.filter(
    (e: any) => e.reason === reason,
  );

describe('expectSuccessWithin', () => {
  it('turns Overdue=True after 2m without a success, and a success clears it', async () => {
    await applySchedule(env.kube, env.ns, NAME, SPEC, { fail: true });
    const ready = await waitReady(env.kube, env.ns, NAME);
    const created = Date.parse(ready.metadata.creationTimestamp);
    expect(ready.status.expectSuccessSince).toBe(ready.metadata.creationTimestamp);
    expect(overdue(ready)).toMatchObject({ status: 'False', reason: 'SucceededRecently' });

    // The resync is 10 minutes: only the operator's own requeue at overdueAt (or a failed run's events) bring this pass.
    const s = await eventually(
      'Overdue=True',
      async () => ((await get()) && overdue(await get())?.status === 'True' ? get() : undefined),
      150_000,
      500,
    );
    const turned = Date.parse(overdue(s).lastTransitionTime);
    expect(turned - created).toBeGreaterThanOrEqual(120_000);
    expect(turned - created).toBeLessThan(135_000);
    expect(overdue(s)).toMatchObject({ reason: 'Overdue', message: expect.stringContaining('no run has succeeded since') });
    expect(s.status.runs.failed).toBeGreaterThanOrEqual(1);
    expect(await metric(env.operator!, 'schedule_operator_overdue', { namespace: env.ns, schedule: NAME })).toBe(1);
    expect(await eventsNamed('Overdue')).toHaveLength(1);

    // A succeeding template, and a run now.
    await applySchedule(env.kube, env.ns, NAME, SPEC);
    await waitReady(env.kube, env.ns, NAME);
    for (let n = 1; overdue(await get())?.status !== 'False'; n++) {
      await requestRun(env.kube, env.ns, NAME, `ok-${n}`); // refused while a scheduled run is active: ask again
      await eventually('the run request handled', async () => (await get())?.status?.lastHandledRunRequest === `ok-${n}`, 30_000, 200);
      await eventually(
        'Overdue=False after a success',
        async () => overdue(await get())?.status === 'False' || (await get())?.status?.lastRunRequest?.outcome === 'Refused',
        30_000,
        200,
      );
      expect(n).toBeLessThan(5);
    }
    const after = await get();
    expect(overdue(after)).toMatchObject({
      status: 'False',
      reason: 'SucceededRecently',
      message: expect.stringContaining('the last run succeeded at'),
    });
    expect(await metric(env.operator!, 'schedule_operator_overdue', { namespace: env.ns, schedule: NAME })).toBe(0);
    expect(await eventsNamed('SucceededRecently')).toHaveLength(1);
    expect(await eventsNamed('Overdue')).toHaveLength(1); // never re-emitted while it stayed True
    expect(after.status.runs.missed ?? 0).toBe(0); // every slot ran (and failed): none missed
  });
});
