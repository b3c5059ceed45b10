// The reconcile pipeline's parts, each alone: the step contract (runSteps), every step against the recording fake,
// the summary, the requeue policy, the event -> key mapping, and the controller's read-your-writes.
import pino from 'pino';
import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { cronJobEvents, jobEvents, scheduleEvents, type EventSink } from '../../../src/controller/events.js';
import { keyOf, splitKey } from '../../../src/controller/keys.js';
import { beginPass, proceed, requeueAfter, runSteps, stop, type Pass, type Step } from '../../../src/controller/pass.js';
import {
  adoptManualRuns,
  applyCronJob,
  callbacks,
  confirmJobs,
  reconcile,
  releaseCounted,
  releaseRecorded,
  runNow,
  type Observed,
  type ReconcileDeps,
} from '../../../src/controller/reconcile.js';
import { NOTIFY_POLL_MS, queueDelay, requeueAfterPass, requeuePolicy } from '../../../src/controller/requeue.js';
import { ScheduleController, type ObjectCache } from '../../../src/controller/schedule-controller.js';
import { summarize } from '../../../src/controller/summary.js';
import { FailedPass } from '../../../src/errors.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { createMetrics } from '../../../src/metrics.js';
import type { Notifier } from '../../../src/notify/notifier.js';
import { FakeKube, apiError } from '../../support/fake-kube.js';
import { ledgerJob, nightlySchedule, NS, reconcileDeps, type JobOptions } from '../../support/reconcile-fixture.js';

const NOW = new Date('2026-03-02T10:00:30Z');

let kube: FakeKube;
let deps: ReconcileDeps;

beforeEach(() => {
  kube = new FakeKube();
  deps = reconcileDeps(kube, NOW);
});

const cronJob = (uid = 'uid-cronjob-nightly', owner = 'uid-sched-1'): CronJob => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: {
    name: 'nightly',
    namespace: NS,
    uid,
    generation: 1,
    resourceVersion: '5',
    ownerReferences: [{ apiVersion: 'schedule-operator.io/v1alpha1', kind: 'Schedule', name: 'nightly', uid: owner, controller: true }],
  },
  spec: { schedule: '0 3 * * *', jobTemplate: { spec: {} } },
  status: {},
});

const job = (n: number, opts: JobOptions = {}): Job => ledgerJob(kube, n, opts);

const passOf = (observed: Partial<Observed> = {}): Pass =>
  beginPass({ schedule: nightlySchedule(), cronJob: undefined, jobs: [], ...observed }, deps);

describe('the step contract (runSteps)', () => {
  const record =
    (log: string[], name: string, result = proceed): Step =>
    async () => {
      log.push(name);
      return result;
    };

  it('runs the steps in order and keeps the earliest requeue asked for', async () => {
    const log: string[] = [];
    const pass = passOf();
    const failed = await runSteps(pass, [
      ['a', record(log, 'a', requeueAfter(5000))],
      ['b', record(log, 'b', requeueAfter(2000))],
      ['c', record(log, 'c')],
    ]);
    expect(failed).toBeUndefined();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(pass.asked).toBe(2000);
  });

  it('stop skips the remaining steps, and is not a failure', async () => {
    const log: string[] = [];
    const failed = await runSteps(passOf(), [
      ['a', record(log, 'a', stop('nothing to do'))],
      ['b', record(log, 'b')],
    ]);
    expect(failed).toBeUndefined();
    expect(log).toEqual(['a']);
  });

  it('a step that throws ends the steps and comes back as a FailedPass from the catalogue', async () => {
    const log: string[] = [];
    const failed = await runSteps(passOf(), [
      [
        'a',
        async () => {
          throw apiError(503, 'ServiceUnavailable', 'down');
        },
      ],
      ['b', record(log, 'b')],
    ]);
    expect(failed).toBeInstanceOf(FailedPass);
    expect(failed?.failure).toMatchObject({ code: 'ApiUnavailable', retry: 'transient' });
    expect(log).toEqual([]);
  });
});

describe('applyCronJob', () => {
  it('stops when the spec is invalid and there is no CronJob to keep running', async () => {
    const pass = passOf({ schedule: nightlySchedule({ spec: { schedule: '61 * * * *' } }) });
    expect(await applyCronJob(pass)).toEqual(stop('invalid spec and no CronJob'));
    expect(kube.verbs()).toEqual([]);
  });

  it('leaves an existing CronJob alone when the spec is invalid (its Jobs still count)', async () => {
    const pass = passOf({ schedule: nightlySchedule({ spec: { schedule: '61 * * * *' } }), cronJob: cronJob() });
    expect(await applyCronJob(pass)).toEqual(proceed);
    expect(pass.cronJob?.metadata.uid).toBe('uid-cronjob-nightly');
  });

  it('applies the desired CronJob and hands the applied one forward', async () => {
    const pass = passOf();
    expect(await applyCronJob(pass)).toEqual(proceed);
    expect(kube.verbs()).toEqual(['apply CronJob/nightly']);
    expect(pass.cronJob?.metadata.uid).toBe('uid-cronjob-nightly');
    expect(pass.writes).toBe(1);
  });

  it('stops with CronJobNotOwned at a CronJob of another owner, and forgets it', async () => {
    const pass = passOf({ cronJob: cronJob('other', 'someone-else') });
    expect(await applyCronJob(pass)).toEqual(stop('CronJob not owned'));
    expect(pass.cronJob).toBeUndefined();
    expect(pass.cronJobProblem).toMatchObject({ code: 'CronJobNotOwned', retry: 'terminal' });
  });

  it('records CronJobRejected on 422 and goes on', async () => {
    kube.failNext.apply = apiError(422, 'Invalid', 'containers: Required value');
    const pass = passOf();
    expect(await applyCronJob(pass)).toEqual(proceed);
    expect(pass.cronJobProblem).toMatchObject({
      code: 'CronJobRejected',
      message: 'the API server rejected the CronJob: containers: Required value; fix spec.jobTemplate',
    });
  });

  it('throws a FailedPass naming the call on any other failure', async () => {
    kube.failNext.apply = apiError(503, 'ServiceUnavailable', 'down');
    await expect(applyCronJob(passOf())).rejects.toMatchObject({
      failure: { code: 'ApiUnavailable', call: { verb: 'patch', resource: 'cronjobs' } },
    });
  });
});

describe('confirmJobs', () => {
  it("keeps only the Schedule's own Jobs that the API server still has (R7, R8), plans the ledger and guards running Jobs", async () => {
    const gone = job(2, { result: 'Succeeded' });
    kube.jobs.delete(`${NS}/nightly-2`);
    const foreign = { ...job(3), metadata: { ...job(3).metadata, ownerReferences: [] } };
    const pass = passOf({ cronJob: cronJob(), jobs: [job(1, { finalizer: false }), gone, foreign, job(4, { result: 'Succeeded' })] });
    expect(await confirmJobs(pass)).toEqual(proceed);
    expect(pass.jobs.map((j) => j.metadata.name)).toEqual(['nightly-1', 'nightly-4']);
    expect(pass.ledger.counted.map((r) => r.jobName)).toEqual(['nightly-4']);
    expect(kube.verbs()).toEqual(['addFinalizer Job/nightly-1']);
  });
});

describe('runNow', () => {
  const TOKEN = 't1';

  it("creates the Job, adds it to the pass's Jobs and records the request", async () => {
    const pass = passOf({
      schedule: nightlySchedule({ annotations: { 'schedule-operator.io/run-requested-at': TOKEN } }),
      cronJob: cronJob(),
    });
    expect(await runNow(pass)).toEqual(proceed);
    expect(kube.verbs()).toEqual([expect.stringMatching(/^create Job\/nightly-manual-/)]);
    expect(pass.jobs).toHaveLength(1);
    expect(pass.runRequest).toMatchObject({ token: TOKEN, outcome: 'Started' });
  });

  it("records a refusal with the catalogue's reason while a run is active", async () => {
    const pass = passOf({
      schedule: nightlySchedule({ annotations: { 'schedule-operator.io/run-requested-at': TOKEN } }),
      cronJob: cronJob(),
    });
    pass.jobs = [job(1)];
    await runNow(pass);
    expect(pass.runRequest).toMatchObject({ outcome: 'Refused', reason: 'RunActive' });
  });

  it('records CronJobRejected for a Job the API server refuses, naming the request', async () => {
    kube.failNext.create = apiError(422, 'Invalid', 'bad pod');
    const pass = passOf({
      schedule: nightlySchedule({ annotations: { 'schedule-operator.io/run-requested-at': TOKEN } }),
      cronJob: cronJob(),
    });
    await runNow(pass);
    expect(pass.runRequest).toMatchObject({
      outcome: 'Refused',
      reason: 'CronJobRejected',
      message: 'run request "t1" refused: the API server rejected the Job: bad pod',
    });
  });
});

describe('adoptManualRuns', () => {
  it('is best effort: a 403 on cronjobs/status is logged and the pass goes on', async () => {
    kube.failNext.addActive = apiError(403, 'Forbidden', 'forbidden');
    const pass = passOf({ cronJob: cronJob() });
    pass.jobs = [job(1, { manual: true })];
    expect(await adoptManualRuns(pass)).toEqual(proceed);
    expect(pass.writes).toBe(0);
  });
});

describe('releaseRecorded and releaseCounted (R5)', () => {
  it('before the status write: Jobs the read status records, never-finished ones and strays; after it: the ones this pass counts', async () => {
    const recorded = job(1, { result: 'Succeeded', deleting: true });
    const cancelled = job(2, { deleting: true });
    const fresh = job(3, { result: 'Succeeded', deleting: true });
    const stray = { ...job(4, { deleting: true }), metadata: { ...job(4, { deleting: true }).metadata, ownerReferences: [] } };
    const s = nightlySchedule({ status: { countedJobs: [{ name: 'nightly-1', uid: 'uid-job-1' }] } });
    const pass = passOf({ schedule: s, cronJob: cronJob(), jobs: [recorded, cancelled, fresh, stray] });
    await confirmJobs(pass);
    await releaseRecorded(pass);
    expect(kube.verbs()).toEqual(['removeFinalizer Job/nightly-1', 'removeFinalizer Job/nightly-2', 'removeFinalizer Job/nightly-4']);
    kube.clear();
    await releaseCounted(pass);
    expect(kube.verbs()).toEqual(['removeFinalizer Job/nightly-3']);
  });
});

describe('callbacks', () => {
  it("hands the summary's pending callbacks to the notifier", async () => {
    const synced: unknown[] = [];
    const notifier = {
      sync: (...args: unknown[]) => synced.push(args),
      report: () => ({ delivered: [], lastError: undefined, busy: false }),
    } as unknown as Notifier;
    deps.notifier = notifier;
    const pass = passOf({ schedule: nightlySchedule({ spec: { notify: { url: 'https://hooks.example/x' } } }) });
    pass.status = { notify: { pending: [{ jobName: 'nightly-1', result: 'Failed' } as never] } };
    await callbacks(pass);
    expect(synced).toEqual([
      [
        'team-a/nightly',
        { namespace: NS, name: 'nightly', notify: expect.objectContaining({ url: 'https://hooks.example/x' }) },
        [{ jobName: 'nightly-1', result: 'Failed' }],
        [],
      ],
    ]);
  });
});

describe('summarize', () => {
  it('is the only status write of a good pass and writes nothing when nothing changed', async () => {
    const pass = passOf();
    await applyCronJob(pass);
    expect(await summarize(pass, undefined)).toBeUndefined();
    expect(kube.verbs()).toEqual(['apply CronJob/nightly', 'updateStatus Schedule/nightly', 'event Event/nightly']);
    const again = passOf({ schedule: { ...nightlySchedule(), status: pass.status }, cronJob: pass.cronJob });
    kube.clear();
    expect(await summarize(again, undefined)).toBeUndefined();
    expect(kube.verbs()).toEqual([]);
  });

  it('after a failed step writes only the conditions and returns the failure', async () => {
    const s = nightlySchedule({
      status: { observedGeneration: 1, runs: { total: 3, succeeded: 3, failed: 0 }, nextRunTime: '2026-03-03T03:00:00Z' },
    });
    const pass = passOf({ schedule: s });
    pass.ledger.next.runs.total = 99; // whatever a failed pass planned is not written
    const failed = new FailedPass({
      code: 'ApiUnavailable',
      reason: 'ApiUnavailable',
      eventType: 'Warning',
      retry: 'transient',
      message: 'x failed (503); retrying with backoff',
    });
    expect(await summarize(pass, failed)).toBe(failed);
    const status = kube.writes[0]!.body as ScheduleStatus;
    expect({ ...status, conditions: undefined }).toEqual({ ...s.status, conditions: undefined });
    expect(status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=Unknown/ApiUnavailable',
      'Reconciling=True/ApiUnavailable',
      'Stalled=False/ApiUnavailable',
    ]);
  });
});

describe('the requeue policy', () => {
  const policy = requeuePolicy(600_000, false);
  const end = { asked: undefined, nextRunTime: undefined, callbacksOutstanding: false, now: NOW };

  it('comes back one second after the next run, never sooner than a second', () => {
    expect(requeueAfterPass(policy, { ...end, nextRunTime: '2026-03-02T10:05:30Z' })).toBe(5 * 60_000 + 1000);
    expect(requeueAfterPass(policy, { ...end, nextRunTime: '2026-03-02T10:00:00Z' })).toBe(1000);
  });

  it("takes the earliest of a step's ask, the next run and the callback poll", () => {
    expect(requeueAfterPass(policy, { ...end, asked: 200, nextRunTime: '2026-03-02T10:05:30Z' })).toBe(200);
    expect(requeueAfterPass(policy, { ...end, callbacksOutstanding: true, nextRunTime: '2026-03-02T10:05:30Z' })).toBe(NOTIFY_POLL_MS);
    expect(requeueAfterPass(requeuePolicy(600_000, true), { ...end, callbacksOutstanding: true })).toBeUndefined(); // the notifier enqueues
  });

  it('leaves to the periodic resync what it would do no later', () => {
    expect(requeueAfterPass(policy, { ...end, nextRunTime: '2026-04-01T00:00:00Z' })).toBe(600_000);
    expect(queueDelay(policy, 600_000)).toBeUndefined();
    expect(queueDelay(policy, 599_999)).toBe(599_999);
    expect(queueDelay(policy, undefined)).toBeUndefined();
  });
});

describe('keys and events', () => {
  it('formats and splits a key', () => {
    expect(keyOf('a', 'b')).toBe('a/b');
    expect(splitKey('a/b')).toEqual({ namespace: 'a', name: 'b' });
  });

  it('maps events to the Schedule they concern', () => {
    const keys: string[] = [];
    const forgotten: string[] = [];
    const sink: EventSink = {
      enqueue: (k) => keys.push(k),
      hasSchedule: (_ns, name) => name === 'waiting',
      forgetCronJob: (uid) => uid && forgotten.push(uid),
    };
    const s = nightlySchedule();
    scheduleEvents(sink).onUpdate!(s, { ...s, metadata: { ...s.metadata, resourceVersion: '11' }, status: { observedGeneration: 1 } }); // status only: ignored
    scheduleEvents(sink).onAdd!(s);
    cronJobEvents(sink).onDelete!(cronJob());
    cronJobEvents(sink).onAdd!({ ...cronJob(), metadata: { name: 'waiting', namespace: NS, uid: 'x' } }); // foreign, but a Schedule waits for that name
    cronJobEvents(sink).onAdd!({ ...cronJob(), metadata: { name: 'unrelated', namespace: NS, uid: 'y' } });
    jobEvents(sink).onAdd!(job(1));
    expect(keys).toEqual(['team-a/nightly', 'team-a/nightly', 'team-a/waiting', 'team-a/nightly']);
    expect(forgotten).toEqual(['uid-cronjob-nightly']);
  });
});

describe('the controller reads its own status writes', () => {
  function cache<T extends { metadata: { namespace?: string; name: string } }>(items: () => T[]): ObjectCache<T> {
    return {
      get: (ns, name) => items().find((i) => i.metadata.namespace === ns && i.metadata.name === name),
      list: (ns) => items().filter((i) => !ns || i.metadata.namespace === ns),
      hasSynced: () => true,
    };
  }

  /** controllerOver: a ScheduleController whose caches hold `cached`, the fake API server's CronJobs and `jobs`. */
  function controllerOver(cached: Schedule, jobs: Job[] = []): ScheduleController {
    return new ScheduleController({
      schedules: cache(() => [cached]),
      cronJobs: cache(() => [...kube.cronJobs.values()]),
      jobs: cache(() => jobs),
      kube,
      metrics: createMetrics(new Registry(), { perSchedule: true }),
      log: pino({ level: 'silent' }),
      now: () => NOW,
      resyncMs: 600_000,
      enqueue: () => undefined,
    });
  }

  it('after a failed pass wrote Ready=Unknown, the retry on a cache without that write still sets Ready back to True', async () => {
    const cached = nightlySchedule();
    const controller = controllerOver(cached);
    kube.checkResourceVersion = true;
    kube.failNext.apply = apiError(503, 'ServiceUnavailable', 'down');
    await expect(controller.handle('team-a/nightly')).rejects.toBeInstanceOf(FailedPass);
    expect((kube.writes.at(-2)!.body as ScheduleStatus).conditions?.[0]).toMatchObject({ type: 'Ready', status: 'Unknown' });
    kube.clear();
    await controller.handle('team-a/nightly'); // the cache still holds resourceVersion 10, without the Unknown
    expect(kube.verbs()).toEqual(['apply CronJob/nightly', 'updateStatus Schedule/nightly', 'event Event/nightly']); // no 409
    expect((kube.writes[1]!.body as ScheduleStatus).conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
    controller.notifier.stop();
  });

  it('after a status write refused with 409, the next pass reads the Schedule once from the API server and writes over it', async () => {
    const cached = nightlySchedule();
    const jobs: Job[] = [];
    const controller = controllerOver(cached, jobs);
    kube.checkResourceVersion = true;
    await controller.handle('team-a/nightly'); // settles: our write is the newest copy, the cache still at 10
    const ours = kube.writes.find((w) => w.verb === 'updateStatus')!.body as ScheduleStatus;
    // Another client writes the Schedule (an annotation); the cache does not see it (its watch is down).
    kube.serverHas({ ...cached, metadata: { ...cached.metadata, resourceVersion: '500', annotations: { team: 'a' } }, status: ours });
    jobs.push(job(1, { result: 'Succeeded' }));
    kube.clear();
    await expect(controller.handle('team-a/nightly')).rejects.toBeInstanceOf(FailedPass); // 409: written over a stale copy
    expect(kube.scheduleReads).toBe(0);
    kube.clear();
    await controller.handle('team-a/nightly');
    expect(kube.scheduleReads).toBe(1);
    const counted = kube.writes.find((w) => w.verb === 'updateStatus')!.body as ScheduleStatus;
    expect(counted.runs).toMatchObject({ total: 1, succeeded: 1 });
    kube.clear();
    await controller.handle('team-a/nightly'); // no more live reads once a write went through
    expect(kube.scheduleReads).toBe(1);
    controller.notifier.stop();
  });
});

it('reconcile: a pass whose step stops still runs the summary and the steps after it', async () => {
  const synced: unknown[] = [];
  deps.notifier = {
    sync: (...args: unknown[]) => synced.push(args),
    report: () => ({ delivered: [], lastError: undefined, busy: false }),
  } as unknown as Notifier;
  await reconcile({ schedule: nightlySchedule({ spec: { schedule: '61 * * * *' } }), cronJob: undefined, jobs: [] }, deps);
  expect(kube.verbs()).toEqual(['updateStatus Schedule/nightly', 'event Event/nightly']);
  expect(synced).toHaveLength(1);
});
