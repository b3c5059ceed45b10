// Chaos for the ledger: while Jobs of several Schedules keep finishing (and the history limits keep
// deleting them), the operator is SIGKILLed at random moments and restarted, several times. In the end
// the counters must equal the truth, observed independently by a watch: nothing counted twice, nothing
// lost; and once the Schedules are deleted no Job is left (no finalizer stuck).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd } from '../support/env.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, installLedgerPolicy, JobWatch, waitReady } from './ledger-helpers.js';

const SCHEDULES = ['chaos-a', 'chaos-b', 'chaos-c'];
const KILLS = 6;

let kubeconfig: string;
let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess | undefined;
let watch: JobWatch;
let removePolicy: () => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

async function start(): Promise<void> {
  operator = await startOperator({
    kubeconfig,
    args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, '--resync-period=5s', '--leader-election-lease-duration=2s', '--leader-election-renew-deadline=1500ms', '--leader-election-retry-period=500ms'],
    env: { LOG_LEVEL: 'info' },
  });
}

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'chaos');
  removePolicy = await installLedgerPolicy(kube, ns.name);
  watch = new JobWatch(kubeconfig, ns.name);
  await watch.start();
  await start();
  await operator!.waitReady();
});

afterAll(async () => {
  watch?.stop();
  await operator?.stop();
  await removePolicy?.();
  await ns?.remove();
});

/** driver keeps one Job of a Schedule running at a time, created as `kubectl create job --from` does. */
async function driver(name: string, until: () => boolean): Promise<number> {
  const cj = await kube.get(cronJobsPath(ns.name, name));
  let n = 0;
  while (!until()) {
    n++;
    const job = await kube.create(jobsPath(ns.name), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: `${name}-${n}`,
        labels: cj.spec.jobTemplate.metadata.labels,
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: cj.spec.jobTemplate.spec,
    });
    await eventually(`Job ${name}-${n} to finish`, async () => watch.jobs.get(job.metadata.uid)?.result, 60_000, 100);
  }
  return n;
}

describe('the ledger under chaos', () => {
  it(`counts every run exactly once while the operator is SIGKILLed ${KILLS} times`, async () => {
    for (const [i, name] of SCHEDULES.entries()) {
      await applySchedule(kube, ns.name, name, { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }, { fail: i === 1 });
    }
    for (const name of SCHEDULES) await waitReady(kube, ns.name, name);

    let stop = false;
    const drivers = SCHEDULES.map((name) => driver(name, () => stop));
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      await sleep(between(1000, 4000));
      await operator!.stop('SIGKILL');
      const down = between(200, 2500);
      kills.push(`kill ${k + 1} after ${watch.jobs.size} Jobs, down ${Math.round(down)} ms`);
      await sleep(down);
      await start();
    }
    await sleep(between(500, 2000));
    stop = true;
    const created = await Promise.all(drivers);
    await operator!.waitReady();

    for (const name of SCHEDULES) {
      await eventually(`${name} to count every run`, async () => {
        const s = await kube.get(schedulesPath(ns.name, name));
        return s?.status?.runs?.total === watch.truth(name).total;
      }, 60_000, 200);
    }
    await sleep(6000); // a resync later, nothing changes
    const report: string[] = [];
    for (const [i, name] of SCHEDULES.entries()) {
      const truth = watch.truth(name);
      const s = await kube.get(schedulesPath(ns.name, name));
      report.push(`${name}: created ${created[i]}, truth ${JSON.stringify(truth)}, counted ${JSON.stringify(s.status.runs)}`);
      expect(s.status.runs).toEqual({ total: truth.total, succeeded: truth.succeeded, failed: truth.failed, manual: truth.manual });
      expect(truth.total).toBe(created[i]);
    }
    console.log(['chaos:', ...kills, ...report].join('\n'));
    const deletedByHistory = SCHEDULES.reduce((a, name) => a + watch.truth(name).deleted, 0);
    expect(deletedByHistory).toBeGreaterThan(SCHEDULES.length * 3);
  });

  it('leaves no Job behind when the Schedules are deleted', async () => {
    for (const name of SCHEDULES) await deleteSchedule(kube, ns.name, name);
    await expectNoJobsLeft(kube, ns.name);
  });
});
