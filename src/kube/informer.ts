// An informer: list, then watch from the list's resourceVersion, keeping a cache and telling handlers
// what changed. It survives everything a long-running watch meets:
//   - the server closes the watch (timeout): watch again from the last resourceVersion seen;
//   - 410 Gone / Expired: list again (handlers see the difference as adds, updates and deletes);
//   - any other error (network, 403, 404 for a missing CRD, 5xx): retry with exponential backoff;
//   - stop(): nothing restarts afterwards, even if a retry timer or a watch callback was pending.
import type { Logger } from 'pino';
import { backoffDelay, realClock, type Clock } from '../clock.js';
import { ApiError } from './rest.js';
import type { KObject, ListWatch, WatchHandle } from './watch.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> {
  name: string;
  source: ListWatch<T>;
  log: Logger;
  handlers?: InformerHandlers<T>;
  clock?: Clock;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** describeError turns a list/watch failure into a line a person can act on. */
  describeError?: (err: unknown) => string;
  /** minWatchMs: a watch that ends sooner than this counts as a failure (so a closing server is not hammered). */
  minWatchMs?: number;
}

export const isGone = (err: unknown): boolean =>
  err instanceof ApiError && (err.statusCode === 410 || err.reason === 'Expired' || err.reason === 'Gone');

const namespaceOf = (o: KObject) => o.metadata.namespace ?? '';

export class Informer<T extends KObject> {
  /** store: namespace -> name -> object, so a reconcile reads one namespace, not the whole cache. */
  private readonly store = new Map<string, Map<string, T>>();
  private synced = false;
  private stopped = false;
  private running = false;
  private watch: WatchHandle | undefined;
  private sleep: { wake(): void } | undefined;
  private resourceVersion: string | undefined;
  private failures = 0;
  private readonly t: Clock;
  /** loop resolves when the informer has fully stopped. */
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly opts: InformerOptions<T>) {
    this.t = opts.clock ?? realClock;
  }

  start(): void {
    if (this.running || this.stopped) return; // a stopped informer is never revived
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.abort();
    this.sleep?.wake();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(namespace)?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.store.get(namespace)?.values() ?? [])];
    return [...this.store.values()].flatMap((objects) => [...objects.values()]);
  }

  /** consecutiveFailures is how many list/watch attempts in a row have failed (for tests and logs). */
  consecutiveFailures(): number {
    return this.failures;
  }

  private async run(): Promise<void> {
    const log = this.opts.log.child({ informer: this.opts.name });
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) {
          const listed = await this.opts.source.list();
          if (this.stopped) break;
          this.replace(listed.items);
          this.resourceVersion = listed.resourceVersion;
          if (!this.synced) log.debug({ objects: listed.items.length }, 'cache synced');
          this.synced = true;
          this.failures = 0;
        }
        const started = this.t.monotonicMs();
        let events = 0;
        this.watch = this.opts.source.watch(this.resourceVersion, (type, obj) => {
          if (this.stopped) return;
          events++;
          this.apply(type, obj);
        });
        await this.watch.done;
        this.watch = undefined;
        if (this.stopped) break;
        if (events === 0 && this.t.monotonicMs() - started < (this.opts.minWatchMs ?? 1000)) throw new Error('watch closed at once');
        this.failures = 0;
      } catch (err) {
        this.watch = undefined;
        if (this.stopped) break;
        if (isGone(err)) {
          log.info('watch expired (410 Gone); listing again');
          this.resourceVersion = undefined;
          continue;
        }
        this.failures++;
        const delay = backoffDelay(this.failures, this.opts.baseDelayMs ?? 500, this.opts.maxDelayMs ?? 30_000);
        const message = this.opts.describeError?.(err) ?? (err as Error).message;
        // The first failure in a row is worth an error line; repeats are warnings so a long outage is not a flood.
        log[this.failures === 1 || this.failures % 10 === 0 ? 'error' : 'warn']({ failures: this.failures, retryInMs: delay }, message);
        await this.pause(delay);
      }
    }
    this.running = false;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.t.setTimer(() => {
        this.sleep = undefined;
        resolve();
      }, ms);
      this.sleep = {
        wake: () => {
          timer.cancel();
          this.sleep = undefined;
          resolve();
        },
      };
    });
  }

  private apply(type: string, obj: T): void {
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const h = this.opts.handlers;
    if (type === 'DELETED') {
      const old = this.remove(namespaceOf(obj), obj.metadata.name);
      h?.onDelete?.(old ?? obj);
      return;
    }
    const old = this.put(obj);
    if (old) h?.onUpdate?.(old, obj);
    else h?.onAdd?.(obj);
  }

  /** replace swaps in a fresh list and reports the difference, as client-go's Replace does. */
  private replace(items: T[]): void {
    const h = this.opts.handlers;
    const seen = new Set<T>();
    for (const obj of items) {
      seen.add(obj);
      const old = this.put(obj);
      if (!old) h?.onAdd?.(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) h?.onUpdate?.(old, obj);
    }
    for (const old of this.list()) {
      if (seen.has(old)) continue;
      this.remove(namespaceOf(old), old.metadata.name);
      h?.onDelete?.(old);
    }
  }

  /** put stores an object and returns the one it replaced. */
  private put(obj: T): T | undefined {
    const namespace = namespaceOf(obj);
    let objects = this.store.get(namespace);
    if (!objects) this.store.set(namespace, (objects = new Map()));
    const old = objects.get(obj.metadata.name);
    objects.set(obj.metadata.name, obj);
    return old;
  }

  /** remove drops an object and returns it. */
  private remove(namespace: string, name: string): T | undefined {
    const objects = this.store.get(namespace);
    const old = objects?.get(name);
    objects?.delete(name);
    if (objects?.size === 0) this.store.delete(namespace);
    return old;
  }
}

/** MultiCache reads several informers (one per watched namespace) as one cache. */
export class MultiCache<T extends KObject> {
  constructor(private readonly informers: Map<string | undefined, Informer<T>>) {}

  get(namespace: string, name: string): T | undefined {
    const one = this.informers.get(namespace) ?? this.informers.get(undefined);
    return one?.get(namespace, name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) {
      const one = this.informers.get(namespace) ?? this.informers.get(undefined);
      return one?.list(namespace) ?? [];
    }
    return [...this.informers.values()].flatMap((i) => i.list());
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }
}
