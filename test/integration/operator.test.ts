// The operator against the real control plane: Schedules in, CronJobs and honest status out.
import { describe, expect, it } from 'vitest';
import { readyCondition, scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath } from '../support/kube.js';

const env = useOperatorNamespace('operator');

const apply = (name: string, spec: Record<string, unknown>, opts: { fail?: boolean } = {}) =>
  env.kube.apply(schedulesPath(env.ns, name), scheduleManifest(env.ns, name, spec, opts));

async function readySchedule(name: string, generation?: number) {
  return eventually(
    `Schedule ${name} to be Ready${generation ? ` at generation ${generation}` : ''}`,
    async () => {
      const s = await env.kube.get(schedulesPath(env.ns, name));
      const ready = readyCondition(s);
      const observed = generation === undefined || s?.status?.observedGeneration === generation;
      return ready?.status === 'True' && observed ? s : undefined;
    },
    30_000,
  );
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(env.operator!.metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('a Schedule reconciled by the operator', () => {
  it('becomes a CronJob with Forbid, the time zone and an owner reference, and reports Ready with next runs', async () => {
    const started = Date.now();
    await apply('nightly', { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' });
    const s = await readySchedule('nightly');
    console.log(`apply → Ready: ${Date.now() - started} ms`);
    const cj = await env.kube.get(cronJobsPath(env.ns, 'nightly'));
    expect(cj.spec).toMatchObject({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', suspend: false });
    expect(cj.spec.jobTemplate.metadata.labels['schedule-operator.io/schedule']).toBe('nightly');
    expect(cj.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Schedule', name: 'nightly', uid: s.metadata.uid, controller: true }),
    ]);
    expect(cj.metadata.managedFields.map((f: any) => f.manager)).toContain('schedule-operator');
    expect(s.status).toMatchObject({ effectiveSchedule: '30 2 * * *', cronJobName: 'nightly', observedGeneration: 1 });
    // kstatus reads it as Current: observedGeneration matches and neither Reconciling nor Stalled is True.
    expect(s.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      'Ready=True',
      'Suspended=False',
      'Reconciling=False',
      'Stalled=False',
    ]);
    expect(s.status.upcomingRuns).toHaveLength(5);
    expect(s.status.nextRunTime).toBe(s.status.upcomingRuns[0]);
    expect(Date.parse(s.status.nextRunTime)).toBeGreaterThan(Date.now());
  });

  it('updates the CronJob and advances observedGeneration when the schedule is edited', async () => {
    await apply('edited', { schedule: '0 * * * *' });
    await readySchedule('edited', 1);
    await apply('edited', { preset: { frequency: 'weekdays', at: '18:45' }, timeZone: 'America/New_York' });
    const s = await readySchedule('edited', 2);
    expect(s.status.effectiveSchedule).toBe('45 18 * * 1-5');
    const cj = await env.kube.get(cronJobsPath(env.ns, 'edited'));
    expect(cj.spec).toMatchObject({ schedule: '45 18 * * 1-5', timeZone: 'America/New_York' });
  });

  it('recreates the CronJob when someone deletes it, and reverts an edit to it', async () => {
    await apply('restored', { interval: '15m' });
    const first = await readySchedule('restored');
    const before = await env.kube.get(cronJobsPath(env.ns, 'restored'));
    await env.kube.remove(cronJobsPath(env.ns, 'restored'));
    const recreated = await eventually('the CronJob to be recreated', async () => {
      const cj = await env.kube.get(cronJobsPath(env.ns, 'restored'));
      return cj && cj.metadata.uid !== before.metadata.uid ? cj : undefined;
    });
    expect(recreated.spec.schedule).toBe('*/15 * * * *');
    await env.kube.patch(cronJobsPath(env.ns, 'restored'), { spec: { concurrencyPolicy: 'Allow', schedule: '1 1 1 1 *' } });
    const reverted = await eventually('the edit to be reverted', async () => {
      const cj = await env.kube.get(cronJobsPath(env.ns, 'restored'));
      return cj?.spec.concurrencyPolicy === 'Forbid' && cj.spec.schedule === '*/15 * * * *' ? cj : undefined;
    });
    expect(reverted.metadata.ownerReferences[0].uid).toBe(first.metadata.uid);
  });

  it('reports Ready=False InvalidSpec with a message naming the field, and leaves no CronJob', async () => {
    await apply('broken', { schedule: '0 0 31 2 *' });
    const s = await eventually('InvalidSpec', async () => {
      const got = await env.kube.get(schedulesPath(env.ns, 'broken'));
      return readyCondition(got)?.reason === 'InvalidSpec' ? got : undefined;
    });
    const ready = readyCondition(s);
    expect(ready.status).toBe('False');
    expect(ready.message).toContain('spec.schedule');
    // kstatus reads it as Failed (Stalled=True at the current generation), not as still in progress.
    expect(s.status.observedGeneration).toBe(s.metadata.generation);
    expect(s.status.conditions.find((c: any) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'InvalidSpec',
      message: ready.message,
    });
    expect(s.status.conditions.find((c: any) => c.type === 'Reconciling')).toMatchObject({ status: 'False' });
    expect(await env.kube.get(cronJobsPath(env.ns, 'broken'))).toBeUndefined();
    // The Event is written just after the status, so it may trail the condition by a moment.
    const reasons = await eventually(
      'the InvalidSpec Event',
      async () => {
        const events = await env.kube.get(`/api/v1/namespaces/${env.ns}/events?fieldSelector=involvedObject.name%3Dbroken`);
        const got: string[] = events.items.map((e: any) => e.reason);
        return got.includes('InvalidSpec') ? got : undefined;
      },
      10_000,
    );
    expect(reasons).toContain('InvalidSpec');
  });

  it('keeps the last valid CronJob when an edit makes the spec invalid', async () => {
    await apply('regressed', { schedule: '5 4 * * *', timeZone: 'Asia/Tokyo' });
    await readySchedule('regressed', 1);
    await apply('regressed', { schedule: '5 4 * * *', timeZone: 'asia/tokyo' });
    const s = await eventually('InvalidSpec at generation 2', async () => {
      const got = await env.kube.get(schedulesPath(env.ns, 'regressed'));
      return readyCondition(got)?.reason === 'InvalidSpec' && got.status.observedGeneration === 2 ? got : undefined;
    });
    expect(readyCondition(s).message).toContain('spec.timeZone');
    const cj = await env.kube.get(cronJobsPath(env.ns, 'regressed'));
    expect(cj.spec.timeZone).toBe('Asia/Tokyo');
    expect(s.status.effectiveSchedule).toBe('5 4 * * *');
  });

  it('makes no API writes on a resync of settled Schedules', async () => {
    await apply('quiet', { schedule: '0 3 * * *' });
    await readySchedule('quiet');
    await new Promise((r) => setTimeout(r, 2000)); // let the status write's own watch event pass
    const writesBefore = await metric('schedule_operator_api_writes_total');
    const reconcilesBefore = await metric('controller_runtime_reconcile_total');
    await new Promise((r) => setTimeout(r, 11_000)); // two resync periods
    const reconciles = (await metric('controller_runtime_reconcile_total')) - reconcilesBefore;
    const writes = (await metric('schedule_operator_api_writes_total')) - writesBefore;
    console.log(`no-op resync: ${reconciles} reconciles, ${writes} writes`);
    expect(reconciles).toBeGreaterThan(0);
    expect(writes).toBe(0);
  });
});

describe('runs read back from Jobs', () => {
  it('fills lastSuccessfulTime and lastRun after a Job completes, and lastFailureTime after one fails', async () => {
    await apply('every-minute', { schedule: '* * * * *' });
    await apply('failing', { schedule: '* * * * *' }, { fail: true });
    const ok = await eventually(
      'a successful run',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'every-minute'));
        return s?.status?.lastSuccessfulTime && s.status.lastRun?.result === 'Succeeded' ? s : undefined;
      },
      150_000,
      1000,
    );
    expect(ok.status.lastRun).toMatchObject({ trigger: 'Scheduled', result: 'Succeeded' });
    expect(ok.status.lastRun.jobName).toMatch(/^every-minute-\d+$/);
    expect(ok.status.lastScheduleTime).toBeTruthy();
    const failed = await eventually(
      'a failed run',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'failing'));
        return s?.status?.lastFailureTime && s.status.lastRun?.result === 'Failed' ? s : undefined;
      },
      150_000,
      1000,
    );
    expect(failed.status.lastRun.reason).toBeTruthy();
    expect(failed.status.lastSuccessfulTime).toBeUndefined();
  });

  it('garbage-collects the CronJob and its Jobs when the Schedule is deleted', async () => {
    const jobs = await env.kube.get(`${jobsPath(env.ns)}?labelSelector=schedule-operator.io%2Fschedule%3Devery-minute`);
    expect(jobs.items.length).toBeGreaterThan(0);
    await env.kube.remove(schedulesPath(env.ns, 'every-minute'), 'Background');
    await eventually(
      'the CronJob and Jobs to be garbage-collected',
      async () => {
        const cj = await env.kube.get(cronJobsPath(env.ns, 'every-minute'));
        const left = await env.kube.get(`${jobsPath(env.ns)}?labelSelector=schedule-operator.io%2Fschedule%3Devery-minute`);
        return !cj && left.items.length === 0;
      },
      60_000,
    );
  });
});
