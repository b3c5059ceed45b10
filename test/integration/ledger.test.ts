// The run ledger against the real control plane: every Job counted exactly once although the CronJob's
// history limits delete most of them, also when they finish and are deleted while the operator is down;
// and no finalizer left behind when Schedules go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd } from '../support/env.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, installLedgerPolicy, JobWatch, requestRun, waitCounted, waitHandled, waitReady } from './ledger-helpers.js';

let kubeconfig: string;
let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess | undefined;
let watch: JobWatch;
let removePolicy: () => Promise<void>;

const start = async () => {
  operator = await startOperator({
    kubeconfig,
    args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, '--resync-period=5s', '--leader-election-lease-duration=2s', '--leader-election-renew-deadline=1500ms', '--leader-election-retry-period=500ms'],
    env: { ALLOW_PRIVATE_CALLBACK_TARGETS: 'true', LOG_LEVEL: 'info' },
  });
  await operator.waitReady();
};

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'ledger');
  removePolicy = await installLedgerPolicy(kube, ns.name);
  watch = new JobWatch(kubeconfig, ns.name);
  await watch.start();
  await start();
});

afterAll(async () => {
  watch?.stop();
  await operator?.stop();
  await removePolicy?.();
  await ns?.remove();
});

async function metricSum(name: string, match: string): Promise<number> {
  const text = await (await fetch(operator!.metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** createJobFromCronJob does what `kubectl create job --from=cronjob/<name>` does. */
async function createJobFromCronJob(name: string, suffix: string): Promise<any> {
  const cj = await kube.get(cronJobsPath(ns.name, name));
  return kube.create(jobsPath(ns.name), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${name}-${suffix}`,
      labels: cj.spec.jobTemplate.metadata.labels,
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: cj.spec.jobTemplate.spec,
  });
}

describe('the run ledger', () => {
  it('counts 50 runs with mixed results exactly once although successfulJobsHistoryLimit 1 deletes most Jobs', async () => {
    const name = 'many';
    const limits = { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 };
    let failing = false;
    await applySchedule(kube, ns.name, name, limits);
    await waitReady(kube, ns.name, name);
    const started = Date.now();
    for (let i = 1; i <= 50; i++) {
      if (i % 5 === 1 && i > 1) {
        failing = !failing; // 5 succeed, 5 fail, ...
        await applySchedule(kube, ns.name, name, limits, { fail: failing });
        await waitReady(kube, ns.name, name);
      }
      const token = `run-${i}`;
      await requestRun(kube, ns.name, name, token);
      const s = await waitHandled(kube, ns.name, name, token);
      expect(s.status.lastRunRequest).toMatchObject({ token, outcome: 'Started' });
      await waitCounted(kube, ns.name, name, i);
    }
    console.log(`50 run-now runs counted in ${Date.now() - started} ms`);
    const truth = watch.truth(name);
    expect(truth.total).toBe(50);
    const s = await kube.get(schedulesPath(ns.name, name));
    expect(s.status.runs).toEqual({ total: truth.total, succeeded: truth.succeeded, failed: truth.failed, manual: truth.manual });
    expect(truth.failed).toBe(25);
    expect(truth.deleted).toBeGreaterThanOrEqual(40); // the history limits removed most of them ...
    expect(s.status.countedJobs.length).toBeLessThanOrEqual(4); // ... and the ledger forgot them
    expect(await metricSum('schedule_operator_runs_total', `schedule="${name}"`)).toBe(50);
    // Still exactly once a few resyncs later.
    await new Promise((r) => setTimeout(r, 6000));
    expect((await kube.get(schedulesPath(ns.name, name))).status.runs.total).toBe(50);
  });

  it('counts runs that finished and were deleted while the operator was down', async () => {
    const name = 'down';
    await applySchedule(kube, ns.name, name, { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    await waitReady(kube, ns.name, name);
    await operator!.stop('SIGKILL');
    operator = undefined;
    for (let i = 1; i <= 4; i++) {
      await createJobFromCronJob(name, `offline-${i}`);
      await eventually(`Job offline-${i} to finish`, async () => watch.truth(name).total === i, 30_000, 100);
    }
    // The CronJob controller deleted the older three; the finalizer holds them until they are counted.
    await eventually('the history limit to delete 3 Jobs', async () => {
      const list = await kube.get(jobsPath(ns.name));
      return list.items.filter((j: any) => j.metadata.labels['schedule-operator.io/schedule'] === name && j.metadata.deletionTimestamp).length === 3;
    }, 30_000, 200);
    await start();
    const s = await waitCounted(kube, ns.name, name, 4);
    expect(s.status.runs).toEqual({ total: 4, succeeded: 4, failed: 0, manual: 4 });
    await eventually('the 3 deleted Jobs to be gone', async () => watch.truth(name).deleted === 3, 30_000, 200);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await kube.get(schedulesPath(ns.name, name))).status.runs.total).toBe(4);
  });

  it('leaves no finalizer behind when the Schedules are deleted', async () => {
    for (const name of ['many', 'down']) await deleteSchedule(kube, ns.name, name);
    await expectNoJobsLeft(kube, ns.name);
  });
});
