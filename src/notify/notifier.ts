// Completion callbacks, delivered off the reconcile path. The ledger puts every counted run that
// spec.notify wants into status.notify.pending in the same status write that counts it; the reconciler
// hands the pending list to `sync`; this class POSTs each one (oldest first, one at a time per Schedule,
// a bounded number at once overall, each request with its own timeout) and retries with exponential
// backoff. Successes and the last error are read back by the reconciler (`report`), which removes delivered
// runs from status.notify.pending; only after that write does it call `forget`. A crash between a delivery
// and that write means one more delivery of the same event: at-least-once, with the Job uid as the
// CloudEvent id so receivers can drop the duplicate. The signing key is read per delivery and never logged.
import { lookup as dnsLookup } from 'node:dns/promises';
import { http } from '../node-http.js';
import https from 'node:https';
import type { Logger } from 'pino';
import { backoffDelay, realClock, type Clock, type Timer } from '../clock.js';
import type { NotifySpec, Run } from '../api/schedule.js';
import type { KubeClient } from '../kube/client.js';
import { runKey, toRfc3339 } from '../schedule/jobs.js';
import { CONTENT_TYPE, runFinishedEvent, signature, SIGNATURE_HEADER } from './cloudevent.js';
import { clip, resolveTarget, TargetError, type Lookup } from '../schedule/callback-target.js';

/** defaultLookup: every address the system resolver gives, in its order. */
export const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface NotifierOptions {
  kube: Pick<KubeClient, 'getSecretValue'>;
  log: Logger;
  /** allowPrivateTargets lets callbacks go to loopback, link-local and metadata addresses (--allow-private-callback-targets). */
  allowPrivateTargets: boolean;
  /** timeoutMs bounds one delivery attempt (connect + response). Default 10 s. */
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** maxConcurrent bounds deliveries in flight across all Schedules. Default 16. */
  maxConcurrent?: number;
  clock?: Clock;
  lookup?: Lookup;
  /** onChange is told when a Schedule has a delivery result to write into status. */
  onChange?: (key: string) => void;
}

export interface NotifyTarget {
  namespace: string;
  name: string;
  notify: NotifySpec;
}

export interface NotifyReport {
  /** delivered are runs delivered since the last `forget` (Job uid and time). */
  delivered: Array<{ uid: string; time: string }>;
  /** lastError is why the last attempt failed; undefined after a success. */
  lastError: string | undefined;
  /** busy is true while deliveries are outstanding (pending, in flight or waiting to retry). */
  busy: boolean;
}

interface KeyState {
  target: NotifyTarget;
  queue: Run[];
  delivered: Map<string, string>;
  /** recorded: delivered and written out of status.notify.pending; ignored while a stale cache still lists them. */
  recorded: Set<string>;
  lastError: string | undefined;
  running: boolean;
  attempt: number;
  timer: Timer | undefined;
}

export class Notifier {
  private readonly keys = new Map<string, KeyState>();
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  private readonly timeoutMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxConcurrent: number;
  private readonly lookup: Lookup;
  /** allowPrivateTargets: the same setting validateSpec is given, so admission and delivery apply one rule. */
  readonly allowPrivateTargets: boolean;
  private readonly clock: Clock;

  constructor(private readonly opts: NotifierOptions) {
    this.allowPrivateTargets = opts.allowPrivateTargets;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    this.maxConcurrent = opts.maxConcurrent ?? 16;
    this.lookup = opts.lookup ?? defaultLookup;
    this.clock = opts.clock ?? realClock;
  }

  /**
   * sync makes the deliveries for a Schedule match its pending runs (nothing pending: forget the Schedule).
   * `cachedPending` is status.notify.pending as the cache holds it: a recorded run it no longer lists means
   * the cache has seen the status write that recorded it, so the run need not be remembered any longer.
   */
  sync(key: string, target: NotifyTarget | undefined, pending: Run[], cachedPending: Run[] = pending): void {
    const known = this.keys.get(key);
    if (known) {
      const listed = new Set(cachedPending.map(runKey));
      for (const uid of known.recorded) if (!listed.has(uid)) known.recorded.delete(uid);
    }
    let st = known;
    if (!target || pending.length === 0) {
      if (st && !st.running && st.delivered.size === 0 && st.recorded.size === 0) this.drop(key);
      if (st) st.queue = [];
      return;
    }
    if (!st) {
      st = {
        target,
        queue: [],
        delivered: new Map(),
        recorded: new Set(),
        lastError: undefined,
        running: false,
        attempt: 0,
        timer: undefined,
      };
      this.keys.set(key, st);
    }
    st.target = target;
    st.queue = pending.filter((r) => !st!.delivered.has(runKey(r)) && !st!.recorded.has(runKey(r)));
    if (!st.running && !st.timer) void this.run(key);
  }

  /** report is what the reconciler folds into status.notify. */
  report(key: string): NotifyReport {
    const st = this.keys.get(key);
    if (!st) return { delivered: [], lastError: undefined, busy: false };
    return {
      delivered: [...st.delivered].map(([uid, time]) => ({ uid, time })),
      lastError: st.lastError,
      busy: st.running || st.timer !== undefined || st.queue.length > 0,
    };
  }

  /**
   * forget is called after the status write that took delivered runs out of status.notify.pending. They are
   * kept as `recorded` until a sync no longer lists them, so a pass on a cache that has not seen that write
   * yet does not deliver them a second time.
   */
  forget(key: string, uids: string[]): void {
    const st = this.keys.get(key);
    if (!st) return;
    for (const uid of uids) {
      if (st.delivered.delete(uid)) st.recorded.add(uid);
    }
  }

  /** drop stops everything for a Schedule (deleted, or notify removed). */
  drop(key: string): void {
    const st = this.keys.get(key);
    st?.timer?.cancel();
    this.keys.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const key of [...this.keys.keys()]) this.drop(key);
    for (const w of this.waiting.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    const st = this.keys.get(key);
    if (!st || st.running || this.stopped) return;
    st.running = true;
    try {
      while (this.keys.get(key) === st && st.queue.length > 0 && !this.stopped) {
        const run = st.queue[0]!;
        await this.slot();
        let error: string | undefined;
        try {
          await this.deliver(st.target, run);
        } catch (err) {
          error = (err as Error).message;
        } finally {
          this.release();
        }
        if (this.keys.get(key) !== st) return;
        if (error === undefined) {
          st.queue.shift();
          st.delivered.set(runKey(run), toRfc3339(this.clock.now()));
          st.lastError = undefined;
          st.attempt = 0;
          this.opts.log.info({ namespace: st.target.namespace, name: st.target.name, job: run.jobName }, 'callback delivered');
          this.opts.onChange?.(key);
          continue;
        }
        st.attempt++;
        const delay = backoffDelay(st.attempt, this.baseDelayMs, this.maxDelayMs);
        const changed = st.lastError !== error;
        st.lastError = error;
        this.opts.log.warn(
          { namespace: st.target.namespace, name: st.target.name, job: run.jobName, attempt: st.attempt, retryInMs: delay, err: error },
          'callback failed',
        );
        if (changed) this.opts.onChange?.(key);
        st.timer = this.clock.setTimer(() => {
          st.timer = undefined;
          void this.run(key);
        }, delay);
        return;
      }
    } finally {
      st.running = false;
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < this.maxConcurrent) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  /** deliver sends one event; it throws with a message fit for status.notify.lastError. */
  private async deliver(target: NotifyTarget, run: Run): Promise<void> {
    // The callback target rule once more, now with DNS: every address is checked and the connection goes to the
    // checked one. Resolution is bounded like the request, so a hanging resolver cannot hold a delivery slot.
    const resolved = await withTimeout(
      resolveTarget(target.notify.url, this.allowPrivateTargets, this.lookup),
      this.timeoutMs,
      () => new TargetError(`spec.notify.url: resolving the host took longer than ${this.timeoutMs} ms; deliveries are retried`),
    );
    const body = runFinishedEvent(target.namespace, target.name, run);
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPE,
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': 'schedule-operator',
    };
    const ref = target.notify.secretRef;
    if (ref) headers[SIGNATURE_HEADER] = signature(body, await this.signingKey(target.namespace, ref));
    const { status, location } = await post(resolved.url, resolved.address, resolved.family, headers, body, this.timeoutMs);
    if (status >= 300 && status < 400) {
      throw new Error(
        `the receiver answered HTTP ${status}${location ? ` (a redirect to ${clip(location)})` : ''}; redirects are not followed: set spec.notify.url to the address that accepts the POST`,
      );
    }
    if (status < 200 || status >= 300) throw new Error(`the receiver answered HTTP ${status}`);
  }

  /** signingKey reads spec.notify.secretRef; a failure names the field, the Secret and the fix (never the value). */
  private async signingKey(namespace: string, ref: { name: string; key: string }): Promise<Buffer> {
    const secret = `Secret ${namespace}/${ref.name}`;
    let key: Buffer | undefined;
    try {
      key = await this.opts.kube.getSecretValue(namespace, ref.name, ref.key);
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 403) {
        throw new TargetError(
          `spec.notify.secretRef: the operator may not read ${secret} (403 Forbidden); grant its ServiceAccount get on secrets in namespace ${namespace} (the Helm chart does with callbacks.readSecrets=true), or remove spec.notify.secretRef to send unsigned callbacks`,
        );
      }
      throw new TargetError(`spec.notify.secretRef: cannot read ${secret} (${clip((err as Error).message, 200)}); deliveries are retried`);
    }
    if (key === undefined) {
      throw new TargetError(
        `spec.notify.secretRef: ${secret} does not exist or has no key "${ref.key}"; create it (kubectl create secret generic ${ref.name} -n ${namespace} --from-literal=${ref.key}=<signing key>) or fix the reference`,
      );
    }
    return key;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * post sends the event to `address`, the checked one: the request's lookup answers with it whatever DNS says now,
 * while the Host header and TLS server name (SNI, certificate check) stay the URL's host name. Redirects are not
 * followed (node:http never does): the caller turns a 3xx into a failed delivery.
 */
function post(
  url: URL,
  address: string,
  family: 4 | 6,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; location: string | undefined }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers,
        agent: false,
        // Connect to the address that was checked, whatever DNS answers now.
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all)
            (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
          else cb(null, address, family);
        },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) =>
      reject(
        err.name === 'AbortError' || err.name === 'TimeoutError'
          ? new Error(`the receiver did not answer within ${timeoutMs} ms`)
          : new Error(`cannot reach the receiver: ${err.message}`),
      ),
    );
    req.end(body);
  });
}
