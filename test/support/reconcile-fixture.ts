// The Job the reconciler tests share: `nightly-<n>` of Schedule "nightly" in team-a, owned by the CronJob
// uid-cronjob-nightly, carrying the ledger finalizer unless told otherwise, running or finished at second n.
// It is also put into the fake API server, as the CronJob controller would have created it.
import { FINALIZER_LEDGER } from '../../src/schedule/ledger.js';
import type { Job } from '../../src/types/kube.js';
import type { FakeKube } from './fake-kube.js';

export const NS = 'team-a';

export interface JobOptions {
  result?: 'Succeeded' | 'Failed';
  finalizer?: boolean;
  deleting?: boolean;
  manual?: boolean;
}

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
