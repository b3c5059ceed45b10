// The reconciler's ledger, run-now and callback steps against the recording fake: the exact API writes,
// in order (the ledger's safety is in that order: count in status first, release the finalizer after).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { reconcile, releaseForgottenSchedule, type ReconcileDeps } from '../../../src/controller/reconcile.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { runMetrics } from '../../../src/metrics-runs.js';
import { SeriesTable } from '../../../src/metrics-series.js';
import { FINALIZER_LEDGER } from '../../../src/schedule/ledger.js';
import { manualJobName } from '../../../src/schedule/run-now.js';
import { FakeKube, apiError } from '../../support/fake-kube.js';
import { ledgerJob, nightlySchedule, NS, reconcileDeps, type JobOptions, type ScheduleExtras } from '../../support/reconcile-fixture.js';

const NOW = new Date('2026-03-02T10:00:30Z');

let kube: FakeKube;
let deps: ReconcileDeps;
let series: SeriesTable;

/** schedule is the nightly Schedule whose Job is not retried (backoffLimit 0). */
const schedule = (extra: ScheduleExtras = {}): Schedule => nightlySchedule({ backoffLimit: 0, ...extra });

/** settled runs one pass with no Jobs and returns the Schedule and CronJob as the caches would then hold them. */
async function settled(s: Schedule): Promise<{ schedule: Schedule; cronJob: CronJob }> {
  await reconcile({ schedule: s, cronJob: undefined, jobs: [] }, deps);
  const status = lastStatus()!;
  kube.clear();
  return { schedule: { ...s, status }, cronJob: { ...kube.cronJobs.get(`${NS}/nightly`)!, status: {} } };
}

function lastStatus(): ScheduleStatus | undefined {
  return [...kube.writes].reverse().find((w) => w.verb === 'updateStatus')?.body as ScheduleStatus | undefined;
}

const job = (n: number, opts: JobOptions = {}): Job => ledgerJob(kube, n, opts);

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  return series
    .samples(name)
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

beforeEach(() => {
  kube = new FakeKube();
  series = new SeriesTable();
  deps = reconcileDeps(kube, NOW, { runMetrics: runMetrics({ series, perSchedule: true }) });
});

describe('the ledger in reconcile', () => {
  it('starts a new Schedule with zero counters', async () => {
    const { schedule: s } = await settled(schedule());
    expect(s.status?.runs).toEqual({ total: 0, succeeded: 0, failed: 0, manual: 0, missed: 0, skipped: 0 });
    expect(s.status?.consecutiveFailures).toBe(0);
  });

  it('puts the ledger finalizer on a running Job that lacks it, and counts nothing', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { finalizer: false })] }, deps);
    expect(kube.verbs()).toEqual(['addFinalizer Job/nightly-1', 'updateStatus Schedule/nightly']); // status: active
    expect(lastStatus()?.runs?.total).toBe(0);
  });

  it('counts a finished Job in exactly one status write and then writes nothing more for it', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    const done = job(1, { result: 'Failed' });
    await reconcile({ schedule: s, cronJob, jobs: [done] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly']);
    const status = lastStatus()!;
    expect(status.runs).toEqual({ total: 1, succeeded: 0, failed: 1, manual: 0, missed: 0, skipped: 0 });
    expect(status.consecutiveFailures).toBe(1);
    expect(status.countedJobs).toEqual([{ name: 'nightly-1', uid: 'uid-job-1' }]);
    expect(status.lastRun).toMatchObject({ jobName: 'nightly-1', result: 'Failed' });
    expect(
      await metricValue('schedule_operator_runs_total', { namespace: NS, schedule: 'nightly', trigger: 'Scheduled', result: 'Failed' }),
    ).toBe(1);
    kube.clear();
    await reconcile({ schedule: { ...s, status }, cronJob, jobs: [done] }, deps);
    expect(kube.verbs()).toEqual([]);
    expect(await metricValue('schedule_operator_runs_total', {})).toBe(1);
  });

  it('counts a Job that finished and is being deleted, and releases its finalizer only after the status write', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded', deleting: true })] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'removeFinalizer Job/nightly-1']);
    expect(lastStatus()?.runs).toMatchObject({ total: 1, succeeded: 1 });
  });

  it('releases the finalizer of an already counted Job being deleted without writing status', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps);
    const counted = { ...s, status: lastStatus()! };
    kube.clear();
    await reconcile({ schedule: counted, cronJob, jobs: [job(1, { result: 'Succeeded', deleting: true })] }, deps);
    expect(kube.verbs()).toEqual(['removeFinalizer Job/nightly-1']);
  });

  it('on a conflicting status write counts nothing, releases nothing and throws for a retry', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    kube.failNext.updateStatus = apiError(409, 'Conflict', 'the object has been modified');
    await expect(reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded', deleting: true })] }, deps)).rejects.toThrow(
      'modified',
    );
    expect(kube.verbs()).toEqual([]);
    expect(await metricValue('schedule_operator_runs_total', {})).toBe(0);
  });

  it('rejects a write from a stale Schedule (resourceVersion guard), so two passes cannot both count', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    const first = await kube.updateScheduleStatus(s, s.status!); // someone else wrote since `s` was read
    kube.checkResourceVersion = true;
    kube.clear();
    await expect(reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps)).rejects.toThrow('modified');
    await reconcile({ schedule: first, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps);
    expect(lastStatus()?.runs?.total).toBe(1);
  });

  it('forgets a counted Job only when the API server confirms it is gone, and only on a write it makes anyway', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps);
    let current = { ...s, status: lastStatus()! };
    kube.jobs.delete(`${NS}/nightly-1`);
    kube.clear();
    await reconcile({ schedule: current, cronJob, jobs: [] }, deps);
    expect(kube.verbs()).toEqual([]); // no write just to prune
    await reconcile({ schedule: current, cronJob, jobs: [job(2, { result: 'Succeeded' })] }, deps);
    expect(lastStatus()?.countedJobs).toEqual([{ name: 'nightly-2', uid: 'uid-job-2' }]);
    current = { ...s, status: lastStatus()! };
    // The cache lost nightly-2 but the API server still has it: it stays recorded.
    await reconcile({ schedule: current, cronJob, jobs: [job(3, { result: 'Failed' })].filter(Boolean) }, deps);
    expect(lastStatus()?.countedJobs?.map((c) => c.name)).toEqual(['nightly-2', 'nightly-3']);
    expect(lastStatus()?.runs).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
  });

  it('does not count a finished Job the cache still shows but the API server no longer has (R8)', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    const stale = job(1, { result: 'Succeeded' });
    kube.jobs.delete(`${NS}/nightly-1`);
    await reconcile({ schedule: s, cronJob, jobs: [stale] }, deps);
    expect(lastStatus()).toBeUndefined();
  });

  it('ignores Jobs of an earlier incarnation and releases their finalizer once they are being deleted', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    const old = job(1, { result: 'Succeeded', deleting: true });
    old.metadata.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-old-cronjob', controller: true }];
    await reconcile({ schedule: s, cronJob, jobs: [old] }, deps);
    expect(kube.verbs()).toEqual(['removeFinalizer Job/nightly-1']);
  });

  it('releases every finalizer of a Schedule that is gone', async () => {
    const writes = await releaseForgottenSchedule(
      [job(1), job(2, { result: 'Succeeded', deleting: true }), job(3, { finalizer: false })],
      kube,
    );
    expect(writes).toBe(2);
    expect(kube.verbs()).toEqual(['removeFinalizer Job/nightly-1', 'removeFinalizer Job/nightly-2']);
  });
});

describe('run now in reconcile', () => {
  const TOKEN = '2026-03-02T10:00:00Z';

  it('creates one Job for a new token: the CronJob template, labelled Manual, owned by the CronJob, born with the finalizer', async () => {
    const { schedule: base, cronJob } = await settled(schedule());
    const s = { ...base, metadata: { ...base.metadata, annotations: { 'schedule-operator.io/run-requested-at': TOKEN } } };
    await reconcile({ schedule: s, cronJob, jobs: [] }, deps);
    const jobName = manualJobName('nightly', 'uid-sched-1', TOKEN);
    expect(kube.verbs()).toEqual([
      `create Job/${jobName}`,
      'addActive CronJob/nightly',
      'updateStatus Schedule/nightly',
      'event Event/nightly',
    ]);
    expect(kube.writes[1]!.body).toEqual([jobName]); // the CronJob controller's Forbid now sees the manual run
    const created = kube.writes[0]!.body as Job;
    expect(created.metadata.name).toMatch(/^nightly-manual-[0-9a-f]{10}$/);
    expect(created.metadata.labels).toMatchObject({
      'schedule-operator.io/schedule': 'nightly',
      'schedule-operator.io/trigger': 'Manual',
      'app.kubernetes.io/managed-by': 'schedule-operator',
    });
    expect(created.metadata.finalizers).toEqual([FINALIZER_LEDGER]);
    expect(created.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', uid: cronJob.metadata.uid, controller: true }),
    ]);
    expect(created.spec).toEqual(cronJob.spec.jobTemplate.spec);
    expect(lastStatus()).toMatchObject({
      lastHandledRunRequest: TOKEN,
      lastRunRequest: { token: TOKEN, outcome: 'Started', jobName: created.metadata.name },
    });
    expect(kube.writes[3]!.body).toMatchObject({ type: 'Normal', reason: 'RunStarted' });

    expect(lastStatus()?.active).toEqual([{ name: created.metadata.name }]); // in the same write, not one later

    // The same token again (GitOps re-apply), the Job and the CronJob's active list now in the cache: nothing.
    const handled = { ...s, status: lastStatus()! };
    kube.clear();
    const cached = structuredClone(kube.cronJobs.get(`${NS}/nightly`)!);
    expect(cached.status?.active?.map((a) => a.name)).toEqual([jobName]);
    await reconcile({ schedule: handled, cronJob: cached, jobs: [(await kube.getJob(NS, created.metadata.name))!] }, deps);
    expect(kube.verbs()).toEqual([]);
  });

  it('still writes status and the Event when the CronJob status cannot take the manual run (e.g. RBAC without cronjobs/status)', async () => {
    const { schedule: base, cronJob } = await settled(schedule());
    const s = { ...base, metadata: { ...base.metadata, annotations: { 'schedule-operator.io/run-requested-at': TOKEN } } };
    kube.failNext.addActive = apiError(403, 'Forbidden', 'cronjobs.batch "nightly" is forbidden: cannot patch resource "cronjobs/status"');
    await reconcile({ schedule: s, cronJob, jobs: [] }, deps);
    expect(kube.verbs()).toEqual([
      `create Job/${manualJobName('nightly', 'uid-sched-1', TOKEN)}`,
      'updateStatus Schedule/nightly',
      'event Event/nightly',
    ]);
    expect(lastStatus()).toMatchObject({ lastHandledRunRequest: TOKEN, lastRunRequest: { outcome: 'Started' } });
  });

  it('treats AlreadyExists as done: a retry after a lost status write never starts a second run', async () => {
    const { schedule: base, cronJob } = await settled(schedule());
    const s = { ...base, metadata: { ...base.metadata, annotations: { 'schedule-operator.io/run-requested-at': TOKEN } } };
    kube.failNext.updateStatus = apiError(503, 'ServiceUnavailable', 'etcd timeout');
    await expect(reconcile({ schedule: s, cronJob, jobs: [] }, deps)).rejects.toThrow('etcd');
    await reconcile({ schedule: s, cronJob, jobs: [] }, deps);
    expect(kube.writes.filter((w) => w.verb === 'create')).toHaveLength(1);
    expect(lastStatus()?.lastRunRequest?.outcome).toBe('Started');
  });

  it('refuses a token while a run is active and records why, in status and a Warning event', async () => {
    const { schedule: base, cronJob } = await settled(schedule());
    const s = { ...base, metadata: { ...base.metadata, annotations: { 'schedule-operator.io/run-requested-at': TOKEN } } };
    await reconcile({ schedule: s, cronJob, jobs: [job(1)] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'event Event/nightly']);
    expect(lastStatus()).toMatchObject({ lastHandledRunRequest: TOKEN, lastRunRequest: { outcome: 'Refused', reason: 'RunActive' } });
    expect(lastStatus()?.lastRunRequest?.message).toContain('nightly-1');
    expect(kube.writes[1]!.body).toMatchObject({ type: 'Warning', reason: 'RunRefused' });
  });

  it('waits for the CronJob before acting on a token', async () => {
    const s = schedule({ annotations: { 'schedule-operator.io/run-requested-at': TOKEN } });
    kube.failNext.apply = apiError(503, 'ServiceUnavailable', 'down');
    await expect(reconcile({ schedule: s, cronJob: undefined, jobs: [] }, deps)).rejects.toThrow('down');
    expect(kube.writes.filter((w) => w.verb === 'create')).toEqual([]);
  });

  it('counts a finished run-now Job as manual', async () => {
    const { schedule: s, cronJob } = await settled(schedule());
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded', manual: true })] }, deps);
    expect(lastStatus()?.runs).toEqual({ total: 1, succeeded: 1, failed: 0, manual: 1, missed: 0, skipped: 0 });
    expect(await metricValue('schedule_operator_runs_total', { trigger: 'Manual', result: 'Succeeded' })).toBe(1);
  });
});

describe('callbacks in reconcile', () => {
  it('puts a counted run that spec.notify wants into status.notify.pending in the same write that counts it', async () => {
    const { schedule: s, cronJob } = await settled(schedule({ spec: { notify: { url: 'http://192.0.2.1:1/hook', on: ['Failed'] } } }));
    await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' }), job(2, { result: 'Failed' })] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly']);
    expect(lastStatus()?.notify?.pending?.map((r) => r.jobName)).toEqual(['nightly-2']);
    expect(lastStatus()?.runs?.total).toBe(2);
  });
});
