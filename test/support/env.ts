// Per-file test environment on the shared test cluster: the CRD installed, a namespace of the file's own,
// and helpers to build Schedules in it.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { inject } from 'vitest';
import { CRD_FILE } from '../../src/api/crd-file.js';
import { eventually, type TestKube } from './kube.js';

export function clusterKubeconfig(): string {
  const path = inject('kubeconfig' as never) as unknown as string | undefined;
  if (!path) throw new Error('no test cluster: the integration project needs test/cluster/global-setup.ts');
  return path;
}

/** installCrd server-side applies the generated CRD and waits until it is Established. */
export async function installCrd(kube: TestKube): Promise<void> {
  const crd = parse(readFileSync(CRD_FILE, 'utf8'));
  await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'schedule-operator-tests');
  await eventually('the Schedule CRD to be Established', async () => {
    const got = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    return got?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
  });
}

/** createNamespace makes a fresh namespace for one test file; the returned function deletes it. */
export async function createNamespace(kube: TestKube, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return { name, remove: () => kube.remove(`/api/v1/namespaces/${name}`) };
}

/** scheduleManifest builds a Schedule; pod templates carry the kwok failure label when `fail` is set. */
export function scheduleManifest(namespace: string, name: string, spec: Record<string, unknown>, opts: { fail?: boolean } = {}) {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name, namespace },
    spec: {
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            ...(opts.fail ? { metadata: { labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' } } } : {}),
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] },
          },
        },
      },
      ...spec,
    },
  };
}

export function readyCondition(schedule: any): any {
  return schedule?.status?.conditions?.find((c: any) => c.type === 'Ready');
}
