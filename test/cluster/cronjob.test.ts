// The test control plane runs CronJobs as a real cluster does: the CronJob controller creates Jobs on schedule,
// the scheduler binds their pods, kwok plays the kubelet, the Job controller finishes the Jobs, and the garbage
// collector removes Jobs with their CronJob. The two scheduled cases run concurrently: each waits for the next
// minute boundary (up to ~70 s), so together they cost one minute, not two.
import { afterAll, beforeAll, test } from 'vitest';
import { clusterKubeconfig, createNamespace } from '../support/env.js';
import { cronJobsPath, eventually, jobsPath, testKube, type TestKube } from '../support/kube.js';

/** kwok's chaos convention: a pod carrying this label fails once Running, with the exit code of the annotation. */
const FAIL_LABEL = 'pod-container-running-failed.stage.kwok.x-k8s.io';
const EXIT_CODE = 7;

let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  kube = testKube(clusterKubeconfig());
  ns = await createNamespace(kube, 'cluster-cronjob');
});

afterAll(async () => {
  await ns?.remove();
});

function cronJob(name: string, opts: { fail?: boolean; suspend?: boolean } = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns.name },
    spec: {
      schedule: '* * * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      suspend: opts.suspend ?? false,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            metadata: opts.fail
              ? { labels: { [FAIL_LABEL]: 'true' }, annotations: { [`${FAIL_LABEL}/exit-code`]: String(EXIT_CODE) } }
              : {},
            spec: {
              restartPolicy: 'Never',
              // The command matches what kwok pretends, so a backend with a real kubelet (k3s) agrees.
              containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', opts.fail ? `exit ${EXIT_CODE}` : 'true'] }],
            },
          },
        },
      },
    },
  };
}

const condition = (obj: any, type: string) => obj?.status?.conditions?.find((c: any) => c.type === type && c.status === 'True');

/** finishedJobOf waits for the CronJob controller to create a Job owned by the CronJob, then for it to finish. */
async function finishedJobOf(cronJobName: string): Promise<any> {
  const cj = await kube.get(cronJobsPath(ns.name, cronJobName));
  const job = await eventually(
    `the CronJob controller to create a Job for ${cronJobName}`,
    async () => {
      const list = await kube.get(jobsPath(ns.name));
      return list?.items?.find((j: any) => j.metadata.ownerReferences?.some((o: any) => o.uid === cj.metadata.uid));
    },
    90_000,
    1000,
  );
  return eventually(
    `Job ${job.metadata.name} to finish`,
    async () => {
      const got = await kube.get(jobsPath(ns.name, job.metadata.name));
      return condition(got, 'Complete') || condition(got, 'Failed') ? got : undefined;
    },
    60_000,
    500,
  );
}

async function podsOf(jobName: string): Promise<any[]> {
  const list = await kube.rest.request<any>('GET', `/api/v1/namespaces/${ns.name}/pods`, {
    query: { labelSelector: `batch.kubernetes.io/job-name=${jobName}` },
  });
  return list.items;
}

test.concurrent('an every-minute Forbid CronJob in Europe/Berlin runs a Job whose pod succeeds, and records lastSuccessfulTime', async ({
  expect,
}) => {
  await kube.create(cronJobsPath(ns.name), cronJob('succeeds'));
  const job = await finishedJobOf('succeeds');
  expect(condition(job, 'Complete'), JSON.stringify(job.status)).toBeTruthy();
  expect(job.status.succeeded).toBe(1);
  const [pod] = await podsOf(job.metadata.name);
  expect(pod?.spec?.nodeName, 'the scheduler binds the pod to a fake node').toMatch(/^kwok-node-/);
  expect(pod?.status?.phase).toBe('Succeeded');

  const cj = await eventually(
    'CronJob status.lastSuccessfulTime',
    async () => {
      const got = await kube.get(cronJobsPath(ns.name, 'succeeds'));
      return got?.status?.lastSuccessfulTime ? got : undefined;
    },
    30_000,
    500,
  );
  expect(Date.parse(cj.status.lastSuccessfulTime)).toBeGreaterThanOrEqual(Date.parse(cj.status.lastScheduleTime));
});

test.concurrent('a pod labelled with the kwok failure label fails its Job with the annotated exit code', async ({ expect }) => {
  await kube.create(cronJobsPath(ns.name), cronJob('fails', { fail: true }));
  const job = await finishedJobOf('fails');
  expect(condition(job, 'Failed'), JSON.stringify(job.status)).toBeTruthy();
  expect(job.status.failed).toBe(1);
  const [pod] = await podsOf(job.metadata.name);
  expect(pod?.status?.phase).toBe('Failed');
  expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(EXIT_CODE);
  const cj = await kube.get(cronJobsPath(ns.name, 'fails'));
  expect(cj.status?.lastSuccessfulTime, 'a failed run is not a success').toBeUndefined();
});

test.concurrent('deleting a CronJob garbage-collects the Jobs it owns', async ({ expect }) => {
  const cj = await kube.create<any>(cronJobsPath(ns.name), cronJob('collected', { suspend: true }));
  const owner = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    name: cj.metadata.name,
    uid: cj.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const { jobTemplate } = cronJob('collected').spec;
  await kube.create(jobsPath(ns.name), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'collected-1', ownerReferences: [owner] },
    spec: jobTemplate.spec,
  });
  await kube.create(jobsPath(ns.name), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'unowned' }, spec: jobTemplate.spec });

  await kube.remove(cronJobsPath(ns.name, 'collected'), 'Background');
  await eventually(
    'the garbage collector to delete Job collected-1',
    async () => (await kube.get(jobsPath(ns.name, 'collected-1'))) === undefined,
    60_000,
    500,
  );
  expect(await kube.get(jobsPath(ns.name, 'unowned')), 'a Job without the owner stays').toBeDefined();
});
