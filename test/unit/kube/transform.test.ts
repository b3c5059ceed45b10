// The cache transforms keep every field the operator reads: a reconcile over objects as the API server
// sends them (managedFields, kubectl's last-applied copy, defaulted pod templates, full Job status) makes
// exactly the same API writes and returns the same result as a reconcile over what the cache keeps.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { reconcile } from '../../../src/controller/reconcile.js';
import { ANNOTATION_LAST_APPLIED, slimCronJob, slimJob, slimSchedule, transformFor } from '../../../src/kube/transform.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import type { KObject } from '../../../src/kube/watch.js';
import { FINALIZER_LEDGER } from '../../../src/schedule/ledger.js';
import { FakeKube } from '../../support/fake-kube.js';
import { nightlySchedule, NS } from '../../support/reconcile-fixture.js';

const NOW = new Date('2026-03-02T10:00:30Z');
const managedFields = [
  {
    manager: 'kubectl',
    operation: 'Apply',
    apiVersion: 'v1',
    time: '2026-03-01T00:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:schedule': {} } },
  },
];

const podTemplate = {
  metadata: {
    creationTimestamp: null,
    labels: { 'schedule-operator.io/schedule': 'nightly', 'app.kubernetes.io/managed-by': 'schedule-operator' },
  },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'busybox',
        command: ['true'],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'Always',
      },
    ],
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
  },
};

/** schedule is the nightly Schedule as the API server sends it: with kubectl's last-applied copy and managedFields. */
function schedule(opts: { status?: ScheduleStatus; annotations?: Record<string, string>; schedule?: string } = {}): Schedule {
  const spec = {
    schedule: opts.schedule ?? '0 3 * * *',
    jobTemplate: {
      spec: {
        backoffLimit: 0,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } },
      },
    },
  };
  const s = nightlySchedule({
    spec,
    status: opts.status,
    annotations: { [ANNOTATION_LAST_APPLIED]: JSON.stringify({ spec }), ...(opts.annotations ?? {}) },
  });
  return { ...s, metadata: { ...s.metadata, creationTimestamp: '2026-03-01T00:00:00Z', managedFields } as Schedule['metadata'] };
}

/** serverCronJob is the CronJob as the API server returns it after our apply: defaults, managedFields, status. */
function serverCronJob(applied: CronJob, owner = 'uid-sched-1'): CronJob {
  return {
    ...structuredClone(applied),
    metadata: {
      ...structuredClone(applied.metadata),
      ownerReferences: [
        {
          apiVersion: 'schedule-operator.io/v1alpha1',
          kind: 'Schedule',
          name: 'nightly',
          uid: owner,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      creationTimestamp: '2026-03-01T00:00:01Z',
      managedFields,
    } as CronJob['metadata'],
    spec: {
      ...structuredClone(applied.spec),
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { creationTimestamp: null, labels: podTemplate.metadata.labels },
        spec: { backoffLimit: 0, template: podTemplate },
      } as unknown as CronJob['spec']['jobTemplate'],
    },
    status: {
      active: [
        { kind: 'Job', namespace: NS, name: 'nightly-1', uid: 'uid-job-1', apiVersion: 'batch/v1', resourceVersion: '77' } as {
          name: string;
        },
      ],
      lastScheduleTime: '2026-03-02T03:00:00Z',
      lastSuccessfulTime: '2026-03-01T03:00:09Z',
    },
  };
}

function serverJob(n: number, opts: { result?: 'Succeeded' | 'Failed'; deleting?: boolean; manual?: boolean } = {}): Job {
  const t = `2026-03-02T10:00:0${n}Z`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `nightly-${n}`,
      namespace: NS,
      uid: `uid-job-${n}`,
      resourceVersion: `${70 + n}`,
      generation: 1,
      creationTimestamp: '2026-03-02T10:00:00Z',
      labels: {
        'schedule-operator.io/schedule': 'nightly',
        'batch.kubernetes.io/controller-uid': `uid-job-${n}`,
        ...(opts.manual ? { 'schedule-operator.io/trigger': 'Manual' } : {}),
      },
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-03-02T10:00:00Z', 'batch.kubernetes.io/job-tracking': '' },
      finalizers: [FINALIZER_LEDGER, 'batch.kubernetes.io/job-tracking'],
      ...(opts.deleting ? { deletionTimestamp: t } : {}),
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: 'nightly',
          uid: 'uid-cronjob-nightly',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields,
    } as Job['metadata'],
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 0,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': `uid-job-${n}` } },
      template: podTemplate,
    },
    status: opts.result
      ? ({
          startTime: '2026-03-02T10:00:00Z',
          completionTime: t,
          succeeded: opts.result === 'Succeeded' ? 1 : 0,
          failed: opts.result === 'Failed' ? 1 : 0,
          conditions: [
            {
              type: opts.result === 'Succeeded' ? 'Complete' : 'Failed',
              status: 'True',
              reason: opts.result === 'Failed' ? 'BackoffLimitExceeded' : 'Completed',
              message: 'Job has reached the specified backoff limit',
              lastTransitionTime: t,
            },
          ],
          uncountedTerminatedPods: {},
          ready: 0,
          terminating: 0,
        } as Job['status'])
      : ({ startTime: '2026-03-02T10:00:00Z', active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} } as Job['status']),
  };
}

const slim = <T>(o: T): T => transformFor((o as KObject).kind ?? '')(structuredClone(o) as KObject) as T;

/** both runs one reconcile over the full objects and one over the cached shape; each gets a fresh fake API server. */
async function both(
  setup: (kube: FakeKube) => { schedule: Schedule; cronJob?: CronJob; jobs: Job[]; appliedGenerations?: Map<string, number> },
) {
  const run = async (shape: <T>(o: T) => T) => {
    const kube = new FakeKube();
    const s = setup(kube);
    const result = await reconcile(
      { schedule: shape(s.schedule), cronJob: s.cronJob && shape(s.cronJob), jobs: s.jobs.map(shape) },
      {
        kube,
        now: () => NOW,
        log: pino({ level: 'silent' }),
        appliedGenerations: s.appliedGenerations ?? new Map(),
        requeue: { resyncMs: 36_000_000, notifyPollMs: undefined },
      },
    );
    return { result, writes: kube.writes };
  };
  const full = await run((o) => structuredClone(o));
  const cached = await run(slim);
  expect(cached).toEqual(full);
  return full;
}

/** settledState: the status and CronJob after a first pass, as a restarted operator finds them. */
async function settledState(): Promise<{ status: ScheduleStatus; cronJob: CronJob }> {
  const kube = new FakeKube();
  await reconcile(
    { schedule: schedule(), cronJob: undefined, jobs: [] },
    {
      kube,
      now: () => NOW,
      log: pino({ level: 'silent' }),
      appliedGenerations: new Map(),
      requeue: { resyncMs: 36_000_000, notifyPollMs: undefined },
    },
  );
  const status = kube.writes.find((w) => w.verb === 'updateStatus')!.body as ScheduleStatus;
  return { status, cronJob: serverCronJob(kube.cronJobs.get(`${NS}/nightly`)!) };
}

describe('cache transforms', () => {
  it('drop managedFields and the last-applied copy, the pod template of Jobs and unread CronJob status', () => {
    const job = slimJob(serverJob(1, { result: 'Succeeded' }) as unknown as KObject) as unknown as Job;
    expect(job.metadata).not.toHaveProperty('managedFields');
    expect(job.spec).not.toHaveProperty('template');
    expect(job.spec).toMatchObject({ backoffLimit: 0, selector: expect.anything() });
    expect(job.status?.conditions).toHaveLength(1);
    const s = slimSchedule(schedule() as unknown as KObject) as unknown as Schedule;
    expect(s.metadata).not.toHaveProperty('managedFields');
    expect(s.metadata.annotations).toBeUndefined();
    const cj = slimCronJob({
      ...serverCronJob({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'x', namespace: NS },
        spec: { schedule: '* * * * *', jobTemplate: { spec: {} } },
      }),
      status: { active: [], lastScheduleTime: 't', extra: 1 } as never,
    } as unknown as KObject) as unknown as CronJob;
    expect(cj.status).toEqual({ active: [], lastScheduleTime: 't' });
    expect(cj.spec.jobTemplate.spec).toHaveProperty('template');
    expect(transformFor('ConfigMap')({ metadata: { name: 'c', managedFields } as KObject['metadata'], data: { a: 1 } } as KObject)).toEqual(
      { metadata: { name: 'c' }, data: { a: 1 } },
    );
  });

  it('keep what a first pass reads', async () => {
    await both(() => ({ schedule: schedule(), jobs: [] }));
  });

  it('keep what the drift check of a restarted operator reads (no write for a settled CronJob, an apply for an edited one)', async () => {
    const { status, cronJob } = await settledState();
    const settled = await both(() => ({ schedule: schedule({ status }), cronJob, jobs: [] }));
    expect(settled.writes.map((w) => w.verb)).not.toContain('apply');
    const edited = structuredClone(cronJob);
    (edited.spec.jobTemplate.spec as { template: typeof podTemplate }).template.spec.containers[0]!.image = 'evil';
    const drift = await both(() => ({ schedule: schedule({ status }), cronJob: edited, jobs: [] }));
    expect(drift.writes.map((w) => w.verb)).toEqual(['apply']);
  });

  it('keep what the ledger reads: running, finished, deleting and manual Jobs', async () => {
    const { status, cronJob } = await settledState();
    const jobs = [
      serverJob(1),
      serverJob(2, { result: 'Failed' }),
      serverJob(3, { result: 'Succeeded', deleting: true }),
      serverJob(4, { manual: true }),
    ];
    const out = await both((kube) => {
      for (const j of jobs) kube.jobs.set(`${NS}/${j.metadata.name}`, structuredClone(j));
      return { schedule: schedule({ status }), cronJob, jobs };
    });
    expect(out.writes.map((w) => w.verb)).toContain('updateStatus');
  });

  it('keep what run-now reads (the Job is built from the cached CronJob template)', async () => {
    const { status, cronJob } = await settledState();
    const out = await both(() => ({
      schedule: schedule({ status, annotations: { 'schedule-operator.io/run-requested-at': 'now' } }),
      cronJob: { ...cronJob, status: {} },
      jobs: [],
    }));
    expect(out.writes.map((w) => w.verb)).toContain('create');
  });

  it('keep what an invalid spec and a foreign CronJob read', async () => {
    const { status, cronJob } = await settledState();
    await both(() => ({ schedule: schedule({ status, schedule: 'not cron' }), cronJob, jobs: [] }));
    await both(() => ({ schedule: schedule({ status }), cronJob: serverCronJob(cronJob, 'uid-someone-else'), jobs: [] }));
  });
});
