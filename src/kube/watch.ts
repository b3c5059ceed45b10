// List and watch one resource over the raw-JSON path (dates stay RFC3339 strings in both, so nothing
// needs normalising). The informer (informer.ts) turns this into a cache that survives watch errors.
import https from 'node:https';
import http from 'node:http';
import type { RestConfig } from './kubeconfig.js';
import { ApiError, type Rest } from './rest.js';

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchHandle {
  /** done resolves when the server closes the watch normally and rejects on errors (ApiError 410 when expired). */
  done: Promise<void>;
  abort(): void;
}

/** ListWatch is what an informer needs from the API server; tests pass a scripted fake. */
export interface ListWatch<T> {
  list(): Promise<ListResult<T>>;
  watch(resourceVersion: string, onEvent: (type: WatchEventType, object: T) => void): WatchHandle;
}

export interface ResourceRef {
  /** path is the collection, e.g. /apis/batch/v1/namespaces/ns/cronjobs or /apis/batch/v1/cronjobs. */
  path: string;
  apiVersion: string;
  kind: string;
  labelSelector?: string;
}

/** collectionPath is the list path of a resource in one namespace, or cluster-wide. */
export function collectionPath(groupVersion: string, plural: string, namespace?: string): string {
  const base = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

const PAGE = 500;

/**
 * cached is the copy of an API object the cache keeps: apiVersion/kind filled in (list items lack them)
 * and metadata.managedFields dropped - nothing reads them, they are often the largest part of an object,
 * and an update without them leaves the server's copy untouched (controller-runtime strips them too).
 */
function cached<T extends KObject>(obj: T, ref: ResourceRef): T {
  const { managedFields: _dropped, ...metadata } = obj.metadata as T['metadata'] & { managedFields?: unknown };
  return { ...obj, apiVersion: ref.apiVersion, kind: ref.kind, metadata } as T;
}

export function restListWatch<T extends KObject>(kc: RestConfig, rest: Rest, ref: ResourceRef): ListWatch<T> {
  return {
    async list() {
      const items: T[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const page = await rest.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', ref.path, {
          query: { labelSelector: ref.labelSelector, limit: String(PAGE), continue: cont },
        });
        for (const item of page.items) items.push(cached(item, ref));
        cont = page.metadata.continue || undefined;
        resourceVersion = page.metadata.resourceVersion;
      } while (cont);
      return { items, resourceVersion };
    },

    watch(resourceVersion, onEvent) {
      let req: http.ClientRequest | undefined;
      let aborted = false;
      const done = new Promise<void>((resolve, reject) => {
        void (async () => {
          const server = new URL(kc.server);
          const secure = server.protocol === 'https:';
          // The server ends the watch after timeoutSeconds (spread so watches do not all reconnect together);
          // the client gives up 30 s later in case the connection died silently.
          const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
          const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', resourceVersion, timeoutSeconds: String(timeoutSeconds) });
          if (ref.labelSelector) query.set('labelSelector', ref.labelSelector);
          const opts: https.RequestOptions = {
            method: 'GET',
            protocol: server.protocol,
            hostname: server.hostname.replace(/^\[|\]$/g, ''),
            port: server.port || (secure ? 443 : 80),
            path: `${server.pathname.replace(/\/$/, '')}${ref.path}?${query}`,
            headers: { Accept: 'application/json' },
            timeout: (timeoutSeconds + 30) * 1000,
          };
          await kc.applyTo(opts);
          if (aborted) return resolve();
          req = (secure ? https : http).request(opts, (res) => {
            if (res.statusCode !== 200) {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let s: { reason?: string; message?: string } = {};
                try {
                  s = JSON.parse(text);
                } catch {
                  // not a Status
                }
                reject(new ApiError(res.statusCode ?? 0, s.reason ?? `HTTP${res.statusCode}`, s.message ?? text.slice(0, 300)));
              });
              return;
            }
            let buffered = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffered += chunk;
              let nl: number;
              while ((nl = buffered.indexOf('\n')) >= 0) {
                const line = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                if (!line.trim()) continue;
                let event: { type: string; object: Record<string, unknown> };
                try {
                  event = JSON.parse(line);
                } catch {
                  req?.destroy();
                  reject(new Error(`watch sent a line that is not JSON: ${line.slice(0, 100)}`));
                  return;
                }
                if (event.type === 'ERROR') {
                  const s = event.object as { code?: number; reason?: string; message?: string };
                  req?.destroy();
                  reject(new ApiError(s.code ?? 500, s.reason ?? 'WatchError', s.message ?? 'watch error'));
                  return;
                }
                const obj = event.object as unknown as T;
                onEvent(event.type as WatchEventType, event.type === 'BOOKMARK' ? obj : cached(obj, ref));
              }
            });
            res.on('end', () => resolve());
            res.on('error', (err) => (aborted ? resolve() : reject(err)));
            res.on('aborted', () => (aborted ? resolve() : reject(new Error('watch connection aborted'))));
          });
          req.on('timeout', () => req?.destroy(new Error('watch timed out')));
          req.on('error', (err) => (aborted ? resolve() : reject(err)));
          req.end();
        })().catch(reject);
      });
      return {
        done,
        abort() {
          aborted = true;
          req?.destroy();
        },
      };
    },
  };
}
