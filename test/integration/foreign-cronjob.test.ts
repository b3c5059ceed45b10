// A CronJob the operator did not make, with a Schedule's name: the operator must not take it over
// (server-side apply with force would), but report CronJobNotOwned - and take the name once it is free.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd, readyCondition, scheduleManifest } from '../support/env.js';
import { cronJobsPath, eventually, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';

let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;

beforeAll(async () => {
  const kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'foreign');
  operator = await startOperator({ kubeconfig, args: [`--watch-namespaces=${ns.name}`, '--leader-elect=false'] });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.remove();
});

describe('a CronJob with the Schedule\'s name that someone else made', () => {
  it('is left alone and reported as CronJobNotOwned, and replaced by ours as soon as it is deleted', async () => {
    await kube.create(cronJobsPath(ns.name), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'taken', namespace: ns.name },
      spec: { schedule: '1 1 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    await kube.apply(schedulesPath(ns.name, 'taken'), scheduleManifest(ns.name, 'taken', { schedule: '5 5 * * *' }));
    const s = await eventually('CronJobNotOwned', async () => {
      const got = await kube.get(schedulesPath(ns.name, 'taken'));
      return readyCondition(got)?.reason === 'CronJobNotOwned' ? got : undefined;
    }, 30_000);
    expect(readyCondition(s).status).toBe('False');
    const theirs = await kube.get(cronJobsPath(ns.name, 'taken'));
    expect(theirs.spec.schedule).toBe('1 1 * * *');
    expect(theirs.metadata.ownerReferences).toBeUndefined();

    await kube.remove(cronJobsPath(ns.name, 'taken'));
    const ours = await eventually('our CronJob in its place', async () => {
      const cj = await kube.get(cronJobsPath(ns.name, 'taken'));
      return cj?.metadata.ownerReferences?.[0]?.uid === s.metadata.uid ? cj : undefined;
    }, 15_000); // well before a resync (10 min): the deletion itself re-triggers the Schedule
    expect(ours.spec.schedule).toBe('5 5 * * *');
  });
});
