// kwok's delay annotation on the test cluster: a Job whose pod template carries
// `pod-complete.stage.kwok.x-k8s.io/delay: "20s"` runs for at least 20 s, one without it finishes within seconds, and
// kwok's failure label still wins over the delay (test/cluster/stages/pod-complete.yaml, docs/test-cluster.md).
// The three Jobs run side by side, so the file costs about the delay.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { clusterKubeconfig, createNamespace } from '../support/env.js';
import { eventually, jobsPath, testKube, type TestKube } from '../support/kube.js';

const DELAY = 'pod-complete.stage.kwok.x-k8s.io/delay';
const FAIL_LABEL = 'pod-container-running-failed.stage.kwok.x-k8s.io';

let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  kube = testKube(clusterKubeconfig());
  ns = await createNamespace(kube, 'kwok-delay');
});

afterAll(async () => {
  await ns?.remove();
});

function job(name: string, opts: { delay?: string; fail?: boolean } = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns.name },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: {
          ...(opts.fail ? { labels: { [FAIL_LABEL]: 'true' } } : {}),
          ...(opts.delay ? { annotations: { [DELAY]: opts.delay } } : {}),
        },
        spec: {
          restartPolicy: 'Never',
          // What a real kubelet would run to match kwok's pretence (sleep for the delay, fail for the label).
          containers: [
            {
              name: 'main',
              image: 'busybox:1.36',
              command: ['sh', '-c', opts.fail ? 'exit 1' : opts.delay ? `sleep ${parseInt(opts.delay, 10)}` : 'true'],
            },
          ],
        },
      },
    },
  };
}

/** finished creates a Job and resolves with how it ended and how long after its creation the test saw that. */
async function finished(name: string, opts: { delay?: string; fail?: boolean }): Promise<{ result: string; ms: number }> {
  const created = Date.now();
  await kube.create(jobsPath(ns.name), job(name, opts));
  const result = await eventually(
    `Job ${name} to finish`,
    async () => {
      const j = await kube.get(jobsPath(ns.name, name));
      return (j?.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as
        | string
        | undefined;
    },
    90_000,
    200,
  );
  return { result, ms: Date.now() - created };
}

test('the delay annotation makes a Job last; without it a Job finishes at once; the failure label still wins', async () => {
  const [delayed, quick, failing] = await Promise.all([
    finished('delayed', { delay: '20s' }),
    finished('quick', {}),
    finished('failing-with-delay', { delay: '20s', fail: true }),
  ]);
  console.log(
    `kwok delay: delayed ${delayed.result} after ${delayed.ms} ms, quick ${quick.result} after ${quick.ms} ms, failing ${failing.result} after ${failing.ms} ms`,
  );
  expect(delayed.result).toBe('Complete');
  expect(delayed.ms).toBeGreaterThanOrEqual(20_000);
  expect(delayed.ms).toBeLessThan(40_000);
  expect(quick.result).toBe('Complete');
  expect(quick.ms).toBeLessThan(10_000);
  expect(failing.result).toBe('Failed');
  expect(failing.ms).toBeLessThan(15_000);
});
