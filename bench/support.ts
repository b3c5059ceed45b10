// What the cluster benches (fleet.ts, completion.ts) share: the cluster from KUBECONFIG, the bench Schedule,
// watches of a namespace through the operator's own informer, and readings of the operator's /metrics and /proc.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { parse } from 'yaml';
import type { Schedule } from '../src/api/schedule.js';
import { CRD_FILE } from '../src/api/crd-file.js';
import { Informer } from '../src/kube/informer.js';
import { loadKubeconfig } from '../src/kube/kubeconfig.js';
import { restClient } from '../src/kube/rest.js';
import { collectionPath, restListWatch } from '../src/kube/watch.js';
import type { KObject } from '../src/types/kube.js';
import { eventually, testKube } from '../test/support/kube.js';

export const kubeconfig: string = process.env.KUBECONFIG ?? '';
if (!kubeconfig) throw new Error('set KUBECONFIG to the cluster (e.g. .cluster/kubeconfig after make cluster-up)');
export const kube = testKube(kubeconfig);
const kc = loadKubeconfig({ kubeconfig });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** manifest is the bench Schedule: cron `schedule` (default once a year on 1 January, so no run falls inside a
 * measurement), a one-container Job whose pod the test cluster's kwok completes at once. */
export function manifest(ns: string, name: string, i: number, schedule = `${i % 60} ${Math.floor(i / 60) % 24} 1 1 *`) {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name, namespace: ns },
    spec: {
      schedule,
      jobTemplate: {
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } } },
      },
    },
  };
}

/** applyCrd installs the Schedule CRD and waits until it is Established. */
export async function applyCrd(): Promise<void> {
  const crd = parse(readFileSync(CRD_FILE, 'utf8'));
  await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'schedule-operator-bench');
  await eventually('the CRD to be Established', async () => {
    const got = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    return got?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
  });
}

/** removeNamespace deletes a namespace and waits until it is gone, so the next point starts on a quiet API server. */
export async function removeNamespace(ns: string): Promise<void> {
  await kube.remove(`/api/v1/namespaces/${ns}`);
  await eventually(`namespace ${ns} to be deleted`, async () => !(await kube.get(`/api/v1/namespaces/${ns}`)), 900_000, 2000).catch(
    () => undefined,
  );
}

/** metricValues sums the samples of one metric on a /metrics page, by the label set each sample carries. */
export async function metricValues(url: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const out = new Map<string, number>();
  for (const l of text.split('\n')) {
    if (!(l.startsWith(`${name}{`) || l.startsWith(`${name} `))) continue;
    const labels = l.startsWith(`${name}{`) ? l.slice(name.length + 1, l.lastIndexOf('}')) : '';
    out.set(labels, (out.get(labels) ?? 0) + Number(l.split(' ').pop()));
  }
  return out;
}

/** metric is the sum of every sample of one metric. */
export const metric = async (url: string, name: string): Promise<number> =>
  [...(await metricValues(url, name)).values()].reduce((a, b) => a + b, 0);

const CLK_TCK = 100; // Linux USER_HZ
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime (fields 14 and 15 of stat)
}
export function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** pool runs fn over items, n at a time. */
export async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** watch follows one kind in a namespace with the operator's own informer (no polling lists of N objects);
 * `seen` hears every add and update, `gone` every delete. */
export function watch<T extends KObject>(
  ns: string,
  what: { apiVersion: string; kind: string; plural: string },
  seen: (obj: T) => void,
  gone: (obj: T) => void = () => undefined,
) {
  const informer = new Informer<T>({
    name: `bench-${what.plural}`,
    source: restListWatch<T>(kc, restClient(kc), {
      path: collectionPath(what.apiVersion, what.plural, ns),
      apiVersion: what.apiVersion,
      kind: what.kind,
    }),
    log: pino({ level: 'warn' }),
    handlers: { onAdd: seen, onUpdate: (_o, obj) => seen(obj), onDelete: gone },
  });
  informer.start();
  return { stop: () => informer.stop(), synced: () => informer.hasSynced() };
}

export const SCHEDULES = { apiVersion: 'schedule-operator.io/v1alpha1', kind: 'Schedule', plural: 'schedules' };
export const JOBS = { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' };

/** readyWatch keeps the set of Ready=True Schedules of a namespace. */
export function readyWatch(ns: string) {
  const ready = new Set<string>();
  const w = watch<Schedule>(
    ns,
    SCHEDULES,
    (s) => {
      if (s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.add(s.metadata.name);
      else ready.delete(s.metadata.name);
    },
    (s) => ready.delete(s.metadata.name),
  );
  return { ready, ...w };
}
