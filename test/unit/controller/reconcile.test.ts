import { beforeEach, describe, expect, it } from 'vitest';
import type { Schedule } from '../../../src/api/schedule.js';
import { reconcile, type ReconcileDeps } from '../../../src/controller/reconcile.js';
import type { CronJob } from '../../../src/types/kube.js';
import { FakeKube, apiError } from '../../support/fake-kube.js';
import { reconcileDeps } from '../../support/reconcile-fixture.js';

const NOW = new Date('2026-03-29T00:10:00Z'); // the night Europe/Berlin springs forward

function schedule(spec: Record<string, unknown>, generation = 1): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name: 'nightly', namespace: 'team-a', uid: 'uid-sched-1', generation, resourceVersion: '10' },
    spec: {
      timeZone: 'Europe/Berlin',
      suspend: false,
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      runHistoryLimit: 10,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

let kube: FakeKube;
let deps: ReconcileDeps;
beforeEach(() => {
  kube = new FakeKube();
  deps = reconcileDeps(kube, NOW);
});

/** settle feeds the fake's answers back as the next observation, as the informers would. */
async function settle(s: Schedule, cronJob?: CronJob) {
  await reconcile({ schedule: s, cronJob, jobs: [] }, deps);
  const status = [...kube.writes].reverse().find((w) => w.verb === 'updateStatus');
  const next: Schedule = status ? { ...s, status: status.body as Schedule['status'] } : s;
  return { schedule: next, cronJob: kube.cronJobs.get('team-a/nightly') };
}

describe('reconcile', () => {
  it('creates a CronJob with Forbid, the time zone, the owner reference and the schedule label', async () => {
    await reconcile({ schedule: schedule({ schedule: '30 2 * * *' }), cronJob: undefined, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['apply CronJob/nightly', 'updateStatus Schedule/nightly', 'event Event/nightly']);
    const applied = kube.writes[0]!.body as CronJob;
    expect(applied.spec).toMatchObject({
      schedule: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(applied.spec.jobTemplate.metadata?.labels).toEqual({
      'schedule-operator.io/schedule': 'nightly',
      'app.kubernetes.io/managed-by': 'schedule-operator',
    });
    expect(applied.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'schedule-operator.io/v1alpha1',
        kind: 'Schedule',
        name: 'nightly',
        uid: 'uid-sched-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('reports Ready with next runs that skip the daylight-saving gap', async () => {
    await reconcile({ schedule: schedule({ schedule: '30 2 * * *' }), cronJob: undefined, jobs: [] }, deps);
    const status = kube.writes[1]!.body as NonNullable<Schedule['status']>;
    expect(status.observedGeneration).toBe(1);
    expect(status.effectiveSchedule).toBe('30 2 * * *');
    // 02:30 does not exist in Berlin on 2026-03-29: the CronJob controller skips that day.
    expect(status.nextRunTime).toBe('2026-03-30T00:30:00Z');
    expect(status.upcomingRuns).toHaveLength(5);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(status.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'Active' });
  });

  it('writes nothing on a no-op pass', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    kube.clear();
    const result = await reconcile({ schedule: first.schedule, cronJob: first.cronJob, jobs: [] }, deps);
    expect(kube.verbs()).toEqual([]);
    expect(result.writes).toBe(0);
  });

  it('writes nothing after a restart when the server added defaults to the CronJob', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    const defaulted = structuredClone(first.cronJob!);
    const pod = (defaulted.spec.jobTemplate.spec as any).template.spec;
    pod.dnsPolicy = 'ClusterFirst';
    pod.containers[0].imagePullPolicy = 'Always';
    deps.appliedGenerations.clear(); // a new operator process remembers nothing
    kube.clear();
    await reconcile({ schedule: first.schedule, cronJob: defaulted, jobs: [] }, deps);
    expect(kube.verbs()).toEqual([]);
  });

  it('updates the CronJob and observedGeneration when the spec changes, without an event', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    kube.clear();
    const edited = { ...schedule({ preset: { frequency: 'daily', at: '04:15' } }, 2), status: first.schedule.status };
    await reconcile({ schedule: edited, cronJob: first.cronJob, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['apply CronJob/nightly', 'updateStatus Schedule/nightly']);
    expect((kube.writes[0]!.body as CronJob).spec.schedule).toBe('15 4 * * *');
    expect((kube.writes[1]!.body as any).observedGeneration).toBe(2);
  });

  it('reverts an edit someone made to the CronJob', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    const edited = structuredClone(first.cronJob!);
    edited.spec.concurrencyPolicy = 'Allow';
    edited.metadata.generation = (edited.metadata.generation ?? 1) + 1;
    kube.clear();
    await reconcile({ schedule: first.schedule, cronJob: edited, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['apply CronJob/nightly']);
    expect((kube.writes[0]!.body as CronJob).spec.concurrencyPolicy).toBe('Forbid');
  });

  it('recreates a deleted CronJob', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    kube.clear();
    await reconcile({ schedule: first.schedule, cronJob: undefined, jobs: [] }, deps);
    expect(kube.verbs()[0]).toBe('apply CronJob/nightly');
  });

  it('leaves the CronJob untouched and reports InvalidSpec with the field when the spec is invalid', async () => {
    const first = await settle(schedule({ schedule: '30 2 * * *' }));
    kube.clear();
    const broken = { ...schedule({ schedule: '0 0 31 2 *' }, 2), status: first.schedule.status };
    await reconcile({ schedule: broken, cronJob: first.cronJob, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'event Event/nightly']);
    const status = kube.writes[0]!.body as NonNullable<Schedule['status']>;
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', observedGeneration: 2 });
    expect(ready?.message).toContain('spec.schedule');
    // The CronJob still runs its last valid schedule, and the status says so.
    expect(status.effectiveSchedule).toBe('30 2 * * *');
    expect(kube.writes[1]!.body).toMatchObject({ type: 'Warning', reason: 'InvalidSpec' });
  });

  it('does not repeat the InvalidSpec event on the next pass', async () => {
    const first = await settle(schedule({ schedule: '61 * * * *' }));
    kube.clear();
    await reconcile({ schedule: first.schedule, cronJob: undefined, jobs: [] }, deps);
    expect(kube.verbs()).toEqual([]);
  });

  it('refuses to take over a CronJob it does not own', async () => {
    const foreign: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'team-a', uid: 'other', generation: 1 },
      spec: { schedule: '* * * * *', jobTemplate: { spec: {} } },
    };
    await reconcile({ schedule: schedule({ schedule: '30 2 * * *' }), cronJob: foreign, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'event Event/nightly']);
    expect((kube.writes[0]!.body as any).conditions[0]).toMatchObject({ status: 'False', reason: 'CronJobNotOwned' });
  });

  it('reports CronJobRejected when the API server refuses the job template', async () => {
    kube.failNext.apply = apiError(
      422,
      'Invalid',
      'CronJob.batch "nightly" is invalid: spec.jobTemplate.spec.template.spec.containers: Required value',
    );
    await reconcile({ schedule: schedule({ schedule: '30 2 * * *' }), cronJob: undefined, jobs: [] }, deps);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'event Event/nightly']);
    const ready = (kube.writes[0]!.body as any).conditions[0];
    expect(ready).toMatchObject({ status: 'False', reason: 'CronJobRejected' });
    expect(ready.message).toContain('containers: Required value');
  });

  it('throws on a transient API failure so the queue retries with backoff', async () => {
    kube.failNext.apply = apiError(503, 'ServiceUnavailable', 'etcd is down');
    await expect(reconcile({ schedule: schedule({ schedule: '30 2 * * *' }), cronJob: undefined, jobs: [] }, deps)).rejects.toThrow(
      'etcd is down',
    );
  });

  it('suspends the CronJob and shows Suspended, with no next run', async () => {
    await reconcile({ schedule: schedule({ schedule: '30 2 * * *', suspend: true }), cronJob: undefined, jobs: [] }, deps);
    expect((kube.writes[0]!.body as CronJob).spec.suspend).toBe(true);
    const status = kube.writes[1]!.body as any;
    expect(status.nextRunTime).toBeUndefined();
    expect(status.conditions.find((c: any) => c.type === 'Suspended')).toMatchObject({ status: 'True', reason: 'Suspended' });
  });

  it('asks for the next pass one second after the next run', async () => {
    const result = await reconcile({ schedule: schedule({ schedule: '15 0 * * *', timeZone: 'UTC' }), cronJob: undefined, jobs: [] }, deps);
    expect(result.requeueAfterMs).toBe(5 * 60_000 + 1000);
  });
});
