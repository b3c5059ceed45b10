// A failed pass ends with the status it knows (issue 9, part 3): for each API call of the reconciler and each kind
// of failure, the exact conditions written, what is left untouched, and the retry class of the error the work queue
// gets. Also `classify` (src/kube/classify.ts) on its own.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Condition, Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { reconcile, type ReconcileDeps } from '../../../src/controller/reconcile.js';
import { FailedPass } from '../../../src/errors.js';
import { calls, classify } from '../../../src/kube/classify.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { FakeKube, apiError } from '../../support/fake-kube.js';
import { ledgerJob, nightlySchedule, NS, reconcileDeps, type JobOptions, type ScheduleExtras } from '../../support/reconcile-fixture.js';

const NOW = new Date('2026-03-02T10:00:30Z');
const TOKEN = 'run-1';

let kube: FakeKube;
let deps: ReconcileDeps;

beforeEach(() => {
  kube = new FakeKube();
  deps = reconcileDeps(kube, NOW);
});

const job = (n: number, opts: JobOptions = {}): Job => ledgerJob(kube, n, opts);

const lastStatus = () => [...kube.writes].reverse().find((w) => w.verb === 'updateStatus')?.body as ScheduleStatus | undefined;
const condition = (status: ScheduleStatus | undefined, type: string): Condition | undefined =>
  status?.conditions?.find((c) => c.type === type);

/** settled: one good pass, and the Schedule and CronJob as the caches then hold them. */
async function settled(extra: ScheduleExtras = {}): Promise<{ schedule: Schedule; cronJob: CronJob }> {
  const s = nightlySchedule(extra);
  await reconcile({ schedule: s, cronJob: undefined, jobs: [] }, deps);
  const status = lastStatus()!;
  kube.clear();
  return { schedule: { ...s, status }, cronJob: { ...kube.cronJobs.get(`${NS}/nightly`)!, status: {} } };
}

const forbidden = (verb: string, resource: string, group: string) =>
  apiError(
    403,
    'Forbidden',
    `${resource.split('/')[0]}${group ? `.${group}` : ''} "x" is forbidden: User "system:serviceaccount:ops:schedule-operator" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${NS}"`,
  );
const unavailable = () => apiError(503, 'ServiceUnavailable', 'etcdserver: leader changed');
const timedOut = () => new Error('request to the API server timed out after 30000 ms');
const grant = (verb: string, resource: string) =>
  `grant its ServiceAccount "${verb}" on "${resource}" in API group "batch" (the Helm chart's Role has it)`;

/** Each scenario sets up one pass whose `call` fails, and returns the pass's observation. */
const SCENARIOS = {
  'apply CronJob': {
    call: 'apply CronJob team-a/nightly',
    verb: 'patch',
    resource: 'cronjobs',
    async arrange(err: Error) {
      kube.failNext.apply = err;
      return { schedule: nightlySchedule(), cronJob: undefined, jobs: [] as Job[] };
    },
  },
  'read a finished Job (R8)': {
    call: 'read Job team-a/nightly-1',
    verb: 'get',
    resource: 'jobs',
    async arrange(err: Error) {
      const { schedule: s, cronJob } = await settled();
      kube.failNext.getJob = err;
      return { schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] };
    },
  },
  'add the ledger finalizer': {
    call: 'add the ledger finalizer to Job team-a/nightly-1',
    verb: 'patch',
    resource: 'jobs',
    async arrange(err: Error) {
      const { schedule: s, cronJob } = await settled();
      kube.failNext.addFinalizer = err;
      return { schedule: s, cronJob, jobs: [job(1, { finalizer: false })] };
    },
  },
  'create the run-now Job': {
    call: 'create run-now Job team-a/nightly-manual-',
    verb: 'create',
    resource: 'jobs',
    async arrange(err: Error) {
      const { schedule: s, cronJob } = await settled();
      kube.failNext.create = err;
      return {
        schedule: { ...s, metadata: { ...s.metadata, annotations: { 'schedule-operator.io/run-requested-at': TOKEN } } },
        cronJob,
        jobs: [] as Job[],
      };
    },
  },
  'release a recorded Job': {
    call: 'remove the ledger finalizer from Job team-a/nightly-1',
    verb: 'patch',
    resource: 'jobs',
    async arrange(err: Error) {
      const { schedule: s, cronJob } = await settled();
      await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps);
      const counted = { ...s, status: lastStatus()! };
      kube.clear();
      kube.failNext.removeFinalizer = err;
      return { schedule: counted, cronJob, jobs: [job(1, { result: 'Succeeded', deleting: true })] };
    },
  },
  'read a recorded Job (R6)': {
    call: 'read Job team-a/nightly-9',
    verb: 'get',
    resource: 'jobs',
    async arrange(err: Error) {
      const { schedule: s, cronJob } = await settled();
      // nightly-9 is recorded but gone from the cache; a spec change makes a status write that may prune it.
      const edited = {
        ...s,
        metadata: { ...s.metadata, generation: 2 },
        status: { ...s.status, countedJobs: [{ name: 'nightly-9', uid: 'uid-job-9' }] },
      };
      kube.failNext.getJob = err;
      return { schedule: edited, cronJob, jobs: [] as Job[] };
    },
  },
} as const;

describe('a pass that fails on an API call writes what it knows, then fails for a retry', () => {
  describe.each(Object.entries(SCENARIOS))('%s', (_name, sc) => {
    it('403: Ready=False and Stalled=True with PermissionDenied, naming the call, the verb and the resource; terminal', async () => {
      const observed = await sc.arrange(forbidden(sc.verb, sc.resource, 'batch'));
      const before = observed.schedule.status;
      const err = await reconcile(observed, deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FailedPass);
      expect((err as FailedPass).failure).toMatchObject({ code: 'PermissionDenied', retry: 'terminal', eventType: 'Warning' });
      const status = lastStatus()!;
      const message = `the operator may not ${sc.verb} ${sc.resource} in namespace team-a (403 Forbidden): ${grant(sc.verb, sc.resource)}`;
      const ready = condition(status, 'Ready')!;
      expect(ready).toMatchObject({ status: 'False', reason: 'PermissionDenied' });
      expect(ready.message.startsWith(sc.call)).toBe(true);
      expect(ready.message.endsWith(`failed: ${message}`)).toBe(true);
      expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'PermissionDenied', message: ready.message });
      expect(condition(status, 'Reconciling')).toMatchObject({ status: 'False', reason: 'PermissionDenied' });
      expect(status.observedGeneration).toBe(observed.schedule.metadata.generation); // looked at, and needs a person
      // Counters and everything observed stay as they were: a failed pass never counts.
      expect(status.runs).toEqual(before?.runs);
      expect(status.countedJobs).toEqual(before?.countedJobs);
      expect(status.lastHandledRunRequest).toEqual(before?.lastHandledRunRequest);
      expect(kube.writes.filter((w) => w.verb === 'event').at(-1)?.body).toMatchObject({
        type: 'Warning',
        reason: 'PermissionDenied',
        message: ready.message,
      });
    });

    it('503: Ready=Unknown and Reconciling=True with ApiUnavailable, naming the call; transient, observedGeneration kept', async () => {
      const observed = await sc.arrange(unavailable());
      const err = await reconcile(observed, deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as FailedPass).failure).toMatchObject({ code: 'ApiUnavailable', retry: 'transient' });
      const status = lastStatus()!;
      const ready = condition(status, 'Ready')!;
      expect(ready).toMatchObject({ status: 'Unknown', reason: 'ApiUnavailable' });
      expect(ready.message.startsWith(sc.call)).toBe(true);
      expect(ready.message.endsWith('failed (503 ServiceUnavailable: etcdserver: leader changed); retrying with backoff')).toBe(true);
      expect(condition(status, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ApiUnavailable', message: ready.message });
      expect(condition(status, 'Stalled')).toMatchObject({ status: 'False', reason: 'ApiUnavailable' });
      expect(status.observedGeneration).toBe(observed.schedule.status?.observedGeneration); // the retry still has to apply it
      expect(status.runs).toEqual(observed.schedule.status?.runs);
    });

    it('a timeout: Ready=Unknown with ApiUnavailable, naming the call; transient', async () => {
      const observed = await sc.arrange(timedOut());
      const err = await reconcile(observed, deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as FailedPass).failure).toMatchObject({ code: 'ApiUnavailable', retry: 'transient' });
      const ready = condition(lastStatus(), 'Ready')!;
      expect(ready).toMatchObject({ status: 'Unknown', reason: 'ApiUnavailable' });
      expect(ready.message.startsWith(sc.call)).toBe(true);
      expect(ready.message).toContain('(request to the API server timed out after 30000 ms); retrying with backoff');
    });
  });

  it('a failing status write writes nothing more (409 is one retry with a fresh cache, not a loop): Conflict, transient', async () => {
    const { schedule: s, cronJob } = await settled();
    kube.failNext.updateStatus = apiError(
      409,
      'Conflict',
      'Operation cannot be fulfilled on schedules "nightly": the object has been modified',
    );
    const err = await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as FailedPass).failure).toMatchObject({ code: 'Conflict', retry: 'transient' });
    expect((err as FailedPass).message).toContain(
      'write the status of Schedule team-a/nightly failed: the object changed since it was read',
    );
    expect(kube.verbs()).toEqual([]);
  });

  it('a forbidden status write writes nothing more, and its error names "update" on "schedules/status"', async () => {
    const { schedule: s, cronJob } = await settled();
    kube.failNext.updateStatus = apiError(
      403,
      'Forbidden',
      'schedules.schedule-operator.io "nightly" is forbidden: User "system:serviceaccount:ops:so" cannot update resource "schedules/status" in API group "schedule-operator.io" in the namespace "team-a"',
    );
    const err = await reconcile({ schedule: s, cronJob, jobs: [job(1, { result: 'Succeeded' })] }, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as FailedPass).failure).toMatchObject({ code: 'PermissionDenied', retry: 'terminal' });
    expect((err as FailedPass).message).toBe(
      'write the status of Schedule team-a/nightly failed: the operator may not update schedules/status in namespace team-a (403 Forbidden): grant its ServiceAccount "update" on "schedules/status" in API group "schedule-operator.io" (the Helm chart\'s Role has it)',
    );
    expect(kube.verbs()).toEqual([]);
  });

  it('a failure after the counting write (releasing a Job it just counted) keeps the count, fails, and the retry reports it', async () => {
    const { schedule: s, cronJob } = await settled();
    kube.failNext.removeFinalizer = forbidden('patch', 'jobs', 'batch');
    const done = job(1, { result: 'Succeeded', deleting: true });
    await expect(reconcile({ schedule: s, cronJob, jobs: [done] }, deps)).rejects.toBeInstanceOf(FailedPass);
    expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly']); // R5: counted first; the release failed after
    const counted = { ...s, status: lastStatus()! };
    expect(counted.status.runs?.total).toBe(1);
    expect(condition(counted.status, 'Ready')?.status).toBe('True');
    kube.clear();
    kube.failNext.removeFinalizer = forbidden('patch', 'jobs', 'batch');
    await expect(reconcile({ schedule: counted, cronJob, jobs: [done] }, deps)).rejects.toBeInstanceOf(FailedPass);
    expect(condition(lastStatus(), 'Ready')).toMatchObject({ status: 'False', reason: 'PermissionDenied' });
    expect(condition(lastStatus(), 'Ready')?.message).toContain('may not patch jobs');
    expect(lastStatus()?.runs?.total).toBe(1);
  });

  it('the same failure again writes nothing (no write, no Event on a repeated failing pass)', async () => {
    const observed = await SCENARIOS['apply CronJob'].arrange(forbidden('patch', 'cronjobs', 'batch'));
    await expect(reconcile(observed, deps)).rejects.toBeInstanceOf(FailedPass);
    const failedOnce = { ...observed, schedule: { ...observed.schedule, status: lastStatus()! } };
    kube.clear();
    kube.failNext.apply = forbidden('patch', 'cronjobs', 'batch');
    await expect(reconcile(failedOnce, deps)).rejects.toBeInstanceOf(FailedPass);
    expect(kube.verbs()).toEqual([]); // the failed apply wrote nothing, and the status already says it all
  });

  it('Ready returns to True, Stalled and Reconciling to False, on the first good pass', async () => {
    const observed = await SCENARIOS['apply CronJob'].arrange(forbidden('patch', 'cronjobs', 'batch'));
    await expect(reconcile(observed, deps)).rejects.toBeInstanceOf(FailedPass);
    const failed = { ...observed, schedule: { ...observed.schedule, status: lastStatus()! } };
    kube.clear();
    await reconcile(failed, deps);
    expect(kube.verbs()).toEqual(['apply CronJob/nightly', 'updateStatus Schedule/nightly', 'event Event/nightly']);
    const status = lastStatus()!;
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'False', reason: 'Reconciled' });
    expect(condition(status, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Reconciled' });
    expect(kube.writes[2]!.body).toMatchObject({ type: 'Normal', reason: 'Reconciled' });
  });
});

describe('the kstatus pair on a good pass', () => {
  it('InvalidSpec is Ready=False, Stalled=True, Reconciling=False, observedGeneration current', async () => {
    const reason = 'InvalidSpec';
    const s: Schedule = {
      ...nightlySchedule(),
      spec: { ...(nightlySchedule().spec as Record<string, unknown>), schedule: '0 0 31 2 *' } as Schedule['spec'],
    };
    await reconcile({ schedule: s, cronJob: undefined, jobs: [] }, deps);
    const status = lastStatus()!;
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason, message: condition(status, 'Ready')!.message });
    expect(condition(status, 'Reconciling')).toMatchObject({ status: 'False', reason });
    expect(status.observedGeneration).toBe(1);
  });

  it('CronJobNotOwned and CronJobRejected are Stalled too', async () => {
    const foreign: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: NS, uid: 'other' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: {} } },
    };
    await reconcile({ schedule: nightlySchedule(), cronJob: foreign, jobs: [] }, deps);
    expect(condition(lastStatus(), 'Stalled')).toMatchObject({ status: 'True', reason: 'CronJobNotOwned' });
    kube.clear();
    kube.failNext.apply = apiError(
      422,
      'Invalid',
      'CronJob.batch "nightly" is invalid: spec.jobTemplate.spec.template.spec.containers: Required value',
    );
    await reconcile({ schedule: nightlySchedule(), cronJob: undefined, jobs: [] }, deps);
    expect(condition(lastStatus(), 'Stalled')).toMatchObject({ status: 'True', reason: 'CronJobRejected' });
    expect(condition(lastStatus(), 'Ready')?.message).toBe(
      'the API server rejected the CronJob: CronJob.batch "nightly" is invalid: spec.jobTemplate.spec.template.spec.containers: Required value; fix spec.jobTemplate',
    );
  });

  it('a healthy Schedule has Ready=True, Suspended, Reconciling=False and Stalled=False, in that order', async () => {
    await reconcile({ schedule: nightlySchedule(), cronJob: undefined, jobs: [] }, deps);
    expect(lastStatus()?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Ready=True',
      'Suspended=False',
      'Reconciling=False',
      'Stalled=False',
    ]);
  });
});

describe('classify', () => {
  const call = calls.createJob(NS, 'nightly-manual-1');

  it.each([
    ["403 with the server's words", forbidden('create', 'jobs', 'batch'), 'PermissionDenied', 'terminal'],
    ["403 without them (the call's own verb and resource)", apiError(403, 'Forbidden', 'forbidden'), 'PermissionDenied', 'terminal'],
    ['409', apiError(409, 'Conflict', 'modified'), 'Conflict', 'transient'],
    ['422 on a Job create', apiError(422, 'Invalid', 'bad'), 'CronJobRejected', 'terminal'],
    ['500', apiError(500, 'InternalError', 'boom'), 'ApiUnavailable', 'transient'],
    ['429', apiError(429, 'TooManyRequests', 'slow down'), 'ApiUnavailable', 'transient'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
      'ApiUnavailable',
      'transient',
    ],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'ApiUnavailable', 'transient'],
    ['a timeout', timedOut(), 'ApiUnavailable', 'transient'],
    ['a bug', new TypeError('x is undefined'), 'InternalError', 'transient'],
  ])('%s -> %s (%s)', (_what, err, code, retry) => {
    const f = classify(err, call);
    expect(f).toMatchObject({ code, reason: code, retry });
    if (code === 'CronJobRejected')
      expect(f.message).toBe('the API server rejected the Job: bad'); // the run request's refusal says which request
    else expect(f.message.startsWith('create run-now Job team-a/nightly-manual-1 failed')).toBe(true);
  });

  it("names the verb and resource the server refused, which may differ from the call's (subresources, a create by apply)", () => {
    const f = classify(forbidden('patch', 'cronjobs/status', 'batch'), calls.addActiveJobs(NS, 'nightly'));
    expect(f.message).toBe(
      'list manual runs in the status of CronJob team-a/nightly failed: the operator may not patch cronjobs/status in namespace team-a (403 Forbidden): grant its ServiceAccount "patch" on "cronjobs/status" in API group "batch" (the Helm chart\'s Role has it)',
    );
  });

  it('a 422 on the status write means the installed CRD is older than the operator', () => {
    expect(classify(apiError(422, 'Invalid', 'status.x: unknown field'), calls.updateScheduleStatus(NS, 'nightly')).code).toBe(
      'StatusRejected',
    );
  });
});
