// Without the admission policy (docs/ledger.md): the operator itself puts the ledger finalizer on a running Job
// it did not create, counts it when it finishes, and lets go of a Job deleted while it runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd } from '../support/env.js';
import { cronJobsPath, eventually, jobsPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, waitCounted, waitReady } from './ledger-helpers.js';

let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;

beforeAll(async () => {
  const kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'ledger-nopol');
  operator = await startOperator({ kubeconfig, args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, '--resync-period=5s'], env: { LOG_LEVEL: 'info' } });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.remove();
});

async function createJob(name: string, suffix: string, podSpec?: Record<string, unknown>): Promise<any> {
  const cj = await kube.get(cronJobsPath(ns.name, name));
  const spec = structuredClone(cj.spec.jobTemplate.spec);
  if (podSpec) Object.assign(spec.template.spec, podSpec);
  return kube.create(jobsPath(ns.name), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${name}-${suffix}`,
      labels: cj.spec.jobTemplate.metadata.labels,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  });
}

describe('the ledger without the admission policy', () => {
  it('adds the finalizer to a running Job, and releases it uncounted when the Job is deleted while running', async () => {
    await applySchedule(kube, ns.name, 'plain', {});
    await waitReady(kube, ns.name, 'plain');
    const job = await createJob('plain', 'stuck', { nodeSelector: { nowhere: 'true' } }); // never scheduled: runs forever
    expect(job.metadata.finalizers ?? []).toEqual([]);
    await eventually('the operator to add the ledger finalizer', async () => {
      const j = await kube.get(jobsPath(ns.name, job.metadata.name));
      return j?.metadata.finalizers?.includes('schedule-operator.io/ledger');
    }, 15_000, 100);
    await kube.rest.request('DELETE', jobsPath(ns.name, job.metadata.name));
    await eventually('the deleted running Job to be gone', async () => !(await kube.get(jobsPath(ns.name, job.metadata.name))), 15_000, 100);
  });

  it('counts a Job it did not create once it finishes', async () => {
    await createJob('plain', 'done');
    const s = await waitCounted(kube, ns.name, 'plain', 1, 30_000);
    expect(s.status.runs).toMatchObject({ total: 1, succeeded: 1 });
  });

  it('leaves no Job behind when the Schedule is deleted', async () => {
    await deleteSchedule(kube, ns.name, 'plain');
    await expectNoJobsLeft(kube, ns.name);
  });
});
