// What the reconciler tests share: the Schedule "nightly" in team-a, the deps of a pass over the recording fake,
// and the Jobs of that Schedule.
import pino from 'pino';
import type { Schedule, ScheduleStatus } from '../../src/api/schedule.js';
import type { ReconcileDeps } from '../../src/controller/reconcile.js';
import { FINALIZER_LEDGER } from '../../src/schedule/ledger.js';
import type { Job } from '../../src/types/kube.js';
import type { FakeKube } from './fake-kube.js';

export const NS = 'team-a';

/** ScheduleExtras is what a test adds to or changes in the nightly Schedule. */
export interface ScheduleExtras {
  /** spec holds fields that replace or join the default spec. */
  spec?: Record<string, unknown>;
  status?: ScheduleStatus;
  annotations?: Record<string, string>;
  /** generation is metadata.generation; 1 unless given. */
  generation?: number;
  /** backoffLimit, when given, goes into the Job template's spec. */
  backoffLimit?: number;
}

/** nightlySchedule builds Schedule team-a/nightly (uid-sched-1, resourceVersion 10): one busybox Job at 03:00. */
export function nightlySchedule(extra: ScheduleExtras = {}): Schedule {
  const backoff = extra.backoffLimit === undefined ? {} : { backoffLimit: extra.backoffLimit };
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: {
      name: 'nightly',
      namespace: NS,
      uid: 'uid-sched-1',
      generation: extra.generation ?? 1,
      resourceVersion: '10',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: { ...backoff, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
      },
      ...extra.spec,
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

/** reconcileDeps builds the deps of a pass over `kube` at `now`: a silent log, nothing applied yet, a 10-minute resync. */
export function reconcileDeps(kube: FakeKube, now: Date, more: Partial<ReconcileDeps> = {}): ReconcileDeps {
  return {
    kube,
    now: () => now,
    log: pino({ level: 'silent' }),
    appliedGenerations: new Map(),
    requeue: { resyncMs: 600_000, notifyPollMs: undefined },
    ...more,
  };
}

export interface JobOptions {
  result?: 'Succeeded' | 'Failed';
  finalizer?: boolean;
  deleting?: boolean;
  manual?: boolean;
}

/**
 * ledgerJob builds the Job `nightly-<n>` of Schedule "nightly", owned by the CronJob uid-cronjob-nightly, carrying the
 * ledger finalizer unless told otherwise, running or finished at second n. It is also put into the fake API server,
 * as the CronJob controller would have created it.
 */
export function ledgerJob(kube: FakeKube, n: number, opts: JobOptions = {}): Job {
  const t = `2026-03-02T10:00:0${n}Z`;
  const j: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `nightly-${n}`,
      namespace: NS,
      uid: `uid-job-${n}`,
      labels: { 'schedule-operator.io/schedule': 'nightly', ...(opts.manual ? { 'schedule-operator.io/trigger': 'Manual' } : {}) },
      ...(opts.finalizer === false ? {} : { finalizers: [FINALIZER_LEDGER] }),
      ...(opts.deleting ? { deletionTimestamp: t } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-cronjob-nightly', controller: true }],
    },
    status: opts.result
      ? {
          startTime: '2026-03-02T10:00:00Z',
          completionTime: t,
          conditions: [{ type: opts.result === 'Succeeded' ? 'Complete' : 'Failed', status: 'True', lastTransitionTime: t }],
        }
      : { startTime: '2026-03-02T10:00:00Z', active: 1 },
  };
  kube.jobs.set(`${NS}/${j.metadata.name}`, structuredClone(j)); // the API server has it
  return j;
}
