// A small API client for integration tests, on the operator's own REST layer (raw JSON, RFC3339 strings).
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { restClient, isNotFound, type Rest } from '../../src/kube/rest.js';

export interface TestKube {
  rest: Rest;
  get<T = any>(path: string): Promise<T | undefined>;
  create<T = any>(path: string, body: unknown): Promise<T>;
  apply<T = any>(path: string, body: unknown, fieldManager?: string): Promise<T>;
  patch<T = any>(path: string, body: unknown): Promise<T>;
  remove(path: string, propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'): Promise<void>;
}

export const schedulesPath = (ns: string, name = '') =>
  `/apis/schedule-operator.io/v1alpha1/namespaces/${ns}/schedules${name ? `/${name}` : ''}`;
export const cronJobsPath = (ns: string, name = '') => `/apis/batch/v1/namespaces/${ns}/cronjobs${name ? `/${name}` : ''}`;
export const jobsPath = (ns: string, name = '') => `/apis/batch/v1/namespaces/${ns}/jobs${name ? `/${name}` : ''}`;

export function testKube(kubeconfig: string): TestKube {
  const rest = restClient(loadKubeconfig({ kubeconfig }));
  return {
    rest,
    async get(path) {
      try {
        return await rest.request('GET', path);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (path, body) => rest.request('POST', path, { body }),
    apply: (path, body, fieldManager = 'test') =>
      rest.request('PATCH', path, { body, contentType: 'application/apply-patch+yaml', query: { fieldManager, force: 'true' } }),
    patch: (path, body) => rest.request('PATCH', path, { body, contentType: 'application/merge-patch+json' }),
    async remove(path, propagationPolicy = 'Background') {
      try {
        await rest.request('DELETE', path, { query: { propagationPolicy } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

/** eventually polls fn until it returns a truthy value, or fails saying what it waited for. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
