// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
//   - a candidate takes the Lease when it is free (no holder: never held, or released) or expired;
//   - expiry is judged on the local clock from when this process last saw the record change, not from
//     renewTime, so clock skew between nodes cannot make a standby take over early;
//   - the leader renews every retry period; if it cannot renew within the renew deadline it stops leading;
//   - on shutdown the leader releases the Lease (empty holder), so a standby takes over at its next try.
// `decide` is the pure part and is unit-tested; LeaderElector does the API calls and the timing.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.js';
import { isAlreadyExists, isConflict, isNotFound, type Rest } from './rest.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

/** microTime formats a Date as a Kubernetes MicroTime: RFC3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Observation is what a candidate remembers of the Lease: the record it saw and when (local clock, ms). */
export interface Observation {
  record: string;
  at: number;
}

export type Decision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'acquire'; reason: 'free' | 'expired' }
  | { action: 'wait'; holder: string; expiresInMs: number };

const recordOf = (spec: LeaseSpec): string => `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.leaseDurationSeconds ?? ''}`;

/** decide says what a candidate should do with the Lease it just read, and what it now remembers of it. */
export function decide(
  lease: Lease | undefined,
  identity: string,
  nowMs: number,
  seen: Observation | undefined,
  leaseDurationMs: number,
): { decision: Decision; seen: Observation | undefined } {
  if (!lease) return { decision: { action: 'create' }, seen: undefined };
  const record = recordOf(lease.spec);
  const observed = seen && seen.record === record ? seen : { record, at: nowMs };
  const holder = lease.spec.holderIdentity ?? '';
  if (holder === identity) return { decision: { action: 'renew' }, seen: observed };
  if (holder === '') return { decision: { action: 'acquire', reason: 'free' }, seen: observed };
  const duration = lease.spec.leaseDurationSeconds ? lease.spec.leaseDurationSeconds * 1000 : leaseDurationMs;
  const expiresInMs = observed.at + duration - nowMs;
  if (expiresInMs <= 0) return { decision: { action: 'acquire', reason: 'expired' }, seen: observed };
  return { decision: { action: 'wait', holder, expiresInMs }, seen: observed };
}

export interface LeaderElectorOptions {
  rest: Rest;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  clock?: Clock;
  onStartedLeading(): void;
  /** onStoppedLeading runs once when a held Lease is lost (not on release). */
  onStoppedLeading(): void;
}

export class LeaderElector {
  private seen: Observation | undefined;
  private leading = false;
  private stopped = false;
  private lastRenewMs = 0;
  private timer: { cancel(): void } | undefined;
  private current: Lease | undefined;
  private readonly t: Clock;
  private readonly path: string;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.t = opts.clock ?? realClock;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases`;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.opts.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, 'waiting to lead');
    void this.tick();
  }

  /** stop ends the loop and, when leading, releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (!this.leading || !this.current) return;
    this.leading = false;
    const now = microTime(this.t.now());
    const released: Lease = {
      ...this.current,
      spec: { ...this.current.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: null, renewTime: now },
    };
    try {
      await this.opts.rest.request('PUT', `${this.path}/${this.opts.name}`, { body: released, timeoutMs: 5000 });
      this.opts.log.info('released the Lease');
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not release the Lease; a standby takes over when it expires');
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.t.setTimer(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, this.leading ? 'could not renew the Lease' : 'could not read or take the Lease');
    }
    if (this.stopped) return;
    const nowMs = this.t.monotonicMs();
    if (ok) {
      this.lastRenewMs = nowMs;
      if (!this.leading) {
        this.leading = true;
        this.opts.log.info({ identity: this.opts.identity }, 'became the leader');
        this.opts.onStartedLeading();
      }
    } else if (this.leading && nowMs - this.lastRenewMs >= this.opts.renewDeadlineMs) {
      this.leading = false;
      this.stopped = true;
      this.opts.log.error({ renewDeadlineMs: this.opts.renewDeadlineMs }, 'lost the Lease: could not renew it within the renew deadline');
      this.opts.onStoppedLeading();
      return;
    }
    this.schedule(this.opts.retryPeriodMs);
  }

  /** tryAcquireOrRenew makes one attempt; true when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { rest, name, namespace, identity } = this.opts;
    let lease: Lease | undefined;
    try {
      lease = await rest.request<Lease>('GET', `${this.path}/${name}`, { timeoutMs: this.opts.retryPeriodMs * 2 });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const nowMs = this.t.monotonicMs();
    const { decision, seen } = decide(lease, identity, nowMs, this.seen, this.opts.leaseDurationMs);
    this.seen = seen;
    const now = microTime(this.t.now());
    const leaseDurationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    switch (decision.action) {
      case 'wait':
        if (this.leading) this.opts.log.warn({ holder: decision.holder }, 'another process holds the Lease');
        return false;
      case 'create': {
        const body: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        };
        this.current = await this.write('POST', this.path, body);
        return this.current !== undefined;
      }
      case 'renew':
      case 'acquire': {
        const spec: LeaseSpec =
          decision.action === 'renew'
            ? { ...lease!.spec, leaseDurationSeconds, renewTime: now }
            : {
                ...lease!.spec,
                holderIdentity: identity,
                leaseDurationSeconds,
                acquireTime: now,
                renewTime: now,
                leaseTransitions: (lease!.spec.leaseTransitions ?? 0) + 1,
              };
        this.current = await this.write('PUT', `${this.path}/${name}`, { ...lease!, spec });
        if (this.current) this.seen = { record: recordOf(this.current.spec), at: this.t.monotonicMs() };
        return this.current !== undefined;
      }
    }
  }

  /** write sends the Lease; a conflict (someone else wrote first) is a lost race, not an error. */
  private async write(method: 'POST' | 'PUT', path: string, body: Lease): Promise<Lease | undefined> {
    try {
      return await this.opts.rest.request<Lease>(method, path, { body, timeoutMs: this.opts.retryPeriodMs * 2 });
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return undefined;
      throw err;
    }
  }
}
