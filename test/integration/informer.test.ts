// The informer's list/watch against a real API server: raw JSON (times stay strings), kinds filled in,
// managedFields dropped, pages followed, events in order. (The re-list after 410 Gone needs etcd compaction and a watch served
// from etcd: faults-compaction.test.ts covers it end to end, on a control plane of its own.)
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Informer } from '../../src/kube/informer.js';
import { loadKubeconfig, type RestConfig } from '../../src/kube/kubeconfig.js';
import { restClient } from '../../src/kube/rest.js';
import { collectionPath, restListWatch, type KObject } from '../../src/kube/watch.js';
import { clusterKubeconfig, createNamespace } from '../support/env.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';

let kube: TestKube;
let kc: RestConfig;
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  const kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  kc = loadKubeconfig({ kubeconfig });
  ns = await createNamespace(kube, 'informer');
});

afterAll(async () => {
  await ns?.remove();
});

const source = (labelSelector?: string) =>
  restListWatch<KObject & { data?: Record<string, string>; metadata: { creationTimestamp?: unknown; managedFields?: unknown } }>(
    kc,
    restClient(kc),
    {
      path: collectionPath('v1', 'configmaps', ns.name),
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...(labelSelector ? { labelSelector } : {}),
    },
  );

const configMap = (name: string, labels: Record<string, string> = { watched: 'yes' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns.name, labels },
  data: { k: name },
});

describe('restListWatch and Informer on a real API server', () => {
  it('lists with kind filled in, times as strings and no managedFields, filtered by label', async () => {
    await kube.create(`/api/v1/namespaces/${ns.name}/configmaps`, configMap('listed'));
    await kube.create(`/api/v1/namespaces/${ns.name}/configmaps`, configMap('other', { watched: 'no' }));
    const listed = await source('watched=yes').list();
    expect(listed.items.map((i) => i.metadata.name)).toEqual(['listed']);
    expect(listed.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'listed' } });
    expect(typeof listed.items[0]!.metadata.creationTimestamp).toBe('string');
    expect(listed.items[0]!.metadata.managedFields).toBeUndefined();
    expect(listed.resourceVersion).toMatch(/^\d+$/);
  });

  it('lists page by page (limit and continue) and gets every object', async () => {
    for (let i = 0; i < 5; i++) await kube.create(`/api/v1/namespaces/${ns.name}/configmaps`, configMap(`paged-${i}`, { paged: 'yes' }));
    const paged = restListWatch<KObject>(
      kc,
      restClient(kc),
      { path: collectionPath('v1', 'configmaps', ns.name), apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'paged=yes' },
      { pageSize: 2 },
    );
    const listed = await paged.list();
    expect(listed.items.map((i) => i.metadata.name).sort()).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
  });

  it('keeps its cache in step with creates, updates and deletes', async () => {
    const events: string[] = [];
    const informer = new Informer({
      name: 'configmaps',
      source: source('watched=yes'),
      log: pino({ level: 'silent' }),
      handlers: {
        onAdd: (o) => events.push(`add ${o.metadata.name}`),
        onUpdate: (_a, o) => events.push(`update ${o.metadata.name} ${o.data?.k}`),
        onDelete: (o) => events.push(`delete ${o.metadata.name}`),
      },
    });
    informer.start();
    try {
      await eventually('the cache to sync', async () => informer.hasSynced());
      await kube.create(`/api/v1/namespaces/${ns.name}/configmaps`, configMap('fresh'));
      await kube.patch(`/api/v1/namespaces/${ns.name}/configmaps/fresh`, { data: { k: 'changed' } });
      await kube.remove(`/api/v1/namespaces/${ns.name}/configmaps/fresh`);
      await eventually('the delete event', async () => events.includes('delete fresh'), 10_000, 50);
      expect(events).toEqual(['add listed', 'add fresh', 'update fresh changed', 'delete fresh']);
      expect(informer.list().map((o) => o.metadata.name)).toEqual(['listed']);
      expect(informer.get(ns.name, 'listed')?.kind).toBe('ConfigMap');
    } finally {
      await informer.stop();
    }
  });
});
