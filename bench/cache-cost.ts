// What one cached object costs on the V8 heap, per kind: the objects of a namespace as the API server sends
// them, as the cache kept them before the transforms (only managedFields dropped), slimmed (fields dropped,
// strings not interned) and as the cache keeps them now (src/kube/transform.ts).
//
//   KUBECONFIG=.cluster/kubeconfig node --expose-gc --import tsx bench/cache-cost.ts --namespace NS
import { loadKubeconfig } from '../src/kube/kubeconfig.js';
import { restClient } from '../src/kube/rest.js';
import { slimCronJob, slimJob, slimSchedule, transformFor } from '../src/kube/transform.js';
import { collectionPath, type KObject } from '../src/kube/watch.js';

const i = process.argv.indexOf('--namespace');
const ns = i > 0 ? process.argv[i + 1] : undefined;
const gc = (globalThis as { gc?: () => void }).gc;
if (!ns || !gc) throw new Error('usage: node --expose-gc --import tsx bench/cache-cost.ts --namespace NS');

const rest = restClient(loadKubeconfig());

/** texts lists a collection page by page and keeps each page's JSON text (so parsing can be repeated). */
async function texts(path: string): Promise<string[]> {
  const pages: string[] = [];
  let cont: string | undefined;
  do {
    const page = await rest.request<{ items: unknown[]; metadata: { continue?: string } }>('GET', path, {
      query: { limit: '500', continue: cont },
    });
    pages.push(JSON.stringify(page));
    cont = page.metadata.continue || undefined;
  } while (cont);
  return pages;
}

const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const oldShape = (o: KObject): KObject => {
  const { managedFields: _m, ...metadata } = o.metadata as KObject['metadata'] & { managedFields?: unknown };
  return { ...o, metadata };
};

const kinds = [
  ['schedule-operator.io/v1alpha1', 'schedules', 'Schedule'],
  ['batch/v1', 'cronjobs', 'CronJob'],
  ['batch/v1', 'jobs', 'Job'],
] as const;

for (const [gv, plural, kind] of kinds) {
  const pages = await texts(collectionPath(gv, plural, ns));
  const count = pages.reduce((n, p) => n + (JSON.parse(p) as { items: unknown[] }).items.length, 0);
  if (!count) continue;
  const jsonBytes = pages.reduce(
    (n, p) => n + (JSON.parse(p) as { items: unknown[] }).items.reduce((m: number, it) => m + JSON.stringify(it).length, 0),
    0,
  );
  const row: Record<string, unknown> = { kind, count, jsonBytesPerObject: Math.round(jsonBytes / count) };
  const slimOnly = { Schedule: slimSchedule, CronJob: slimCronJob, Job: slimJob }[kind];
  for (const [shape, fn] of [
    ['asSent', (o: KObject) => o],
    ['before', oldShape],
    ['slimmed', slimOnly],
    ['now', transformFor(kind)],
  ] as const) {
    const base = heap();
    const kept: KObject[] = [];
    for (const p of pages) for (const item of (JSON.parse(p) as { items: KObject[] }).items) kept.push(fn(item));
    row[`${shape}BytesPerObject`] = Math.round((heap() - base) / count);
    kept.length = 0;
  }
  console.log(JSON.stringify(row));
}
