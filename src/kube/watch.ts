// List and watch one resource over the raw-JSON path (dates stay RFC3339 strings in both, so nothing
// needs normalising). The informer (informer.ts) turns this into a cache that survives watch errors.
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import { http } from '../node-http.js';
import { realClock, type Clock } from '../clock.js';
import type { RestConfig } from './kubeconfig.js';
import { ApiError, type Rest } from './rest.js';
import type { KObject } from '../types/kube.js';
import { transformFor, type Transform } from './transform.js';

export type { KObject } from '../types/kube.js';

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

/** PAGE: items per page of the initial list (client-go's pager uses 500 too), so a list of 10,000 objects never arrives as one body. */
const PAGE = 500;
/** LIST_RESTARTS: how often a paginated list starts over when its continue token expired (410) before giving up. */
const LIST_RESTARTS = 3;

/**
 * Watch timing. The server ends each watch after timeoutSeconds (spread over 5-10 min so watches do not all
 * reconnect together, as client-go does). A watch that stays silent - no byte at all - longer than the
 * server could keep it open is dead (a frozen or vanished API server, a dropped connection behind a NAT):
 * the watchdog aborts it and the informer watches again from the last resourceVersion.
 *   - HEARTBEAT_SILENCE_MS: the API server sends a bookmark on a watch that asked for them about once a minute
 *     (Kubernetes >= 1.27 does, to keep idle watches provably alive; gaps of up to 120 s were seen on a busy
 *     test machine), so 125 s without a byte means the watch is dead, from its first second on.
 *   - SILENCE_GRACE_MS: a server that sends no bookmarks ends the watch at timeoutSeconds; the watchdog
 *     waits that long plus this grace when it is shorter than the heartbeat limit.
 * A false alarm (a server without bookmarks, a watch quiet for 125 s) costs one new watch from the last
 * resourceVersion, nothing more.
 */
export const WATCH_TIMEOUT_MIN_S = 300;
export const SILENCE_GRACE_MS = 30_000;
export const HEARTBEAT_SILENCE_MS = 125_000;

export interface ListWatchOptions {
  /** transform: what the cache keeps of each object (default: transformFor(ref.kind), see transform.ts). */
  transform?: Transform;
  pageSize?: number;
  /** clock drives the watchdog (tests pass a fake one). */
  clock?: Clock;
  /** timeoutSeconds picks each watch's server-side timeout (default 300-600 s). */
  timeoutSeconds?: () => number;
  graceMs?: number;
  heartbeatSilenceMs?: number;
}

/** SilentWatchError: the watchdog gave up on a watch that sent nothing for too long. */
export class SilentWatchError extends Error {
  constructor(readonly silentMs: number) {
    super(
      `watch sent nothing for ${Math.round(silentMs / 1000)} s (no event, no bookmark): the connection is presumed dead; watching again`,
    );
    this.name = 'SilentWatchError';
  }
}

/**
 * Watchdog calls onSilent once kick() has not been called for limitMs. It holds one timer at a time and
 * re-arms it lazily (kick only records the time), so a busy stream costs no timer work per chunk.
 */
export class Watchdog {
  private last: number;
  private timer: { cancel(): void } | undefined;
  private stopped = false;

  constructor(
    private readonly t: Clock,
    private readonly limitMs: number,
    private readonly onSilent: (silentMs: number) => void,
  ) {
    this.last = t.monotonicMs();
    this.arm(limitMs);
  }

  kick(): void {
    this.last = this.t.monotonicMs();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private arm(ms: number): void {
    this.timer = this.t.setTimer(() => {
      if (this.stopped) return;
      const silent = this.t.monotonicMs() - this.last;
      if (silent < this.limitMs) return this.arm(this.limitMs - silent);
      this.stopped = true;
      this.onSilent(silent);
    }, ms);
  }
}

/**
 * LineSplitter cuts a byte stream into lines without building strings of more than one line: it keeps
 * the bytes of the unfinished line only. (A newline byte never occurs inside a multi-byte UTF-8 character.)
 */
export class LineSplitter {
  private parts: Buffer[] = [];

  /** push feeds a chunk; onLine gets each complete line and returns false to stop. */
  push(chunk: Buffer, onLine: (line: string) => boolean): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      let line: string;
      if (this.parts.length) {
        this.parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.parts).toString('utf8');
        this.parts = [];
      } else {
        line = chunk.toString('utf8', start, nl);
      }
      start = nl + 1;
      if (!onLine(line)) return;
    }
    if (start < chunk.length) this.parts.push(start === 0 ? chunk : chunk.subarray(start));
  }
}

const isGone = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 410;

export function restListWatch<T extends KObject>(
  kc: RestConfig,
  rest: Rest,
  ref: ResourceRef,
  options: ListWatchOptions = {},
): ListWatch<T> {
  const transform = options.transform ?? transformFor(ref.kind);
  const cached = (obj: T): T => {
    const slim = transform(obj) as T;
    slim.apiVersion = ref.apiVersion; // list items lack them
    slim.kind = ref.kind;
    return slim;
  };
  const t = options.clock ?? realClock;
  const pageSize = options.pageSize ?? PAGE;

  async function listPages(): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await rest.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', ref.path, {
        query: { labelSelector: ref.labelSelector, limit: String(pageSize), continue: cont },
      });
      for (const item of page.items) items.push(cached(item));
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  return {
    async list() {
      // A continue token expires with etcd compaction (about 5 min): the pages listed so far are then from
      // a snapshot that cannot be continued, so the list starts over, as client-go's pager does.
      for (let restarts = 0; ; restarts++) {
        try {
          return await listPages();
        } catch (err) {
          if (!isGone(err) || restarts >= LIST_RESTARTS) throw err;
        }
      }
    },

    watch(resourceVersion, onEvent) {
      let req: ClientRequest | undefined;
      let aborted = false;
      let dog: Watchdog | undefined;
      const done = new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          dog?.stop();
          if (err && !aborted) reject(err);
          else resolve();
        };
        void (async () => {
          const server = new URL(kc.server);
          const secure = server.protocol === 'https:';
          const timeoutSeconds = options.timeoutSeconds?.() ?? WATCH_TIMEOUT_MIN_S + Math.floor(Math.random() * WATCH_TIMEOUT_MIN_S);
          const query = new URLSearchParams({
            watch: '1',
            allowWatchBookmarks: 'true',
            resourceVersion,
            timeoutSeconds: String(timeoutSeconds),
          });
          if (ref.labelSelector) query.set('labelSelector', ref.labelSelector);
          const opts: https.RequestOptions = {
            method: 'GET',
            protocol: server.protocol,
            hostname: server.hostname.replace(/^\[|\]$/g, ''),
            port: server.port || (secure ? 443 : 80),
            path: `${server.pathname.replace(/\/$/, '')}${ref.path}?${query}`,
            headers: { Accept: 'application/json' },
          };
          await kc.applyTo(opts);
          if (aborted) return finish();
          // From here on, silence (while connecting, waiting for headers or streaming) is watched.
          const silenceLimitMs = Math.min(
            timeoutSeconds * 1000 + (options.graceMs ?? SILENCE_GRACE_MS),
            options.heartbeatSilenceMs ?? HEARTBEAT_SILENCE_MS,
          );
          dog = new Watchdog(t, silenceLimitMs, (silentMs) => {
            req?.destroy();
            finish(new SilentWatchError(silentMs));
          });
          req = (secure ? https : http).request(opts, (res) => {
            dog?.kick();
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
                finish(new ApiError(res.statusCode ?? 0, s.reason ?? `HTTP${res.statusCode}`, s.message ?? text.slice(0, 300)));
              });
              return;
            }
            const lines = new LineSplitter();
            const onLine = (line: string): boolean => {
              if (settled) return false;
              if (!line.trim()) return true;
              let event: { type: string; object: Record<string, unknown> };
              try {
                event = JSON.parse(line);
              } catch {
                req?.destroy();
                finish(new Error(`watch sent a line that is not JSON: ${line.slice(0, 100)}`));
                return false;
              }
              if (event.type === 'ERROR') {
                const s = event.object as { code?: number; reason?: string; message?: string };
                req?.destroy();
                finish(new ApiError(s.code ?? 500, s.reason ?? 'WatchError', s.message ?? 'watch error'));
                return false;
              }
              const obj = event.object as unknown as T;
              onEvent(event.type as WatchEventType, event.type === 'BOOKMARK' ? obj : cached(obj));
              return true;
            };
            res.on('data', (chunk: Buffer) => {
              dog?.kick();
              lines.push(chunk, onLine);
            });
            res.on('end', () => finish());
            res.on('error', (err) => finish(err));
            res.on('close', () => finish(res.complete ? undefined : new Error('watch connection closed before the end of the stream')));
          });
          req.on('error', (err) => finish(err));
          req.end();
        })().catch((err: Error) => finish(err));
      });
      return {
        done,
        abort() {
          aborted = true;
          dog?.stop();
          req?.destroy();
        },
      };
    },
  };
}
