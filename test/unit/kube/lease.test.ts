import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderElector, decide, microTime, type Lease } from '../../../src/kube/lease.js';
import { ApiError, type Method, type Rest } from '../../../src/kube/rest.js';
import { FakeClock, flush } from '../../support/fake-clock.js';

const lease = (holder: string | null, renewTime = '2026-01-01T00:00:00.000000Z', leaseDurationSeconds = 15): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'l', namespace: 'ns', resourceVersion: '1' },
  spec: { holderIdentity: holder, renewTime, leaseDurationSeconds },
});

describe('microTime', () => {
  it('writes exactly six fractional digits, as MicroTime requires', () => {
    expect(microTime(new Date('2026-11-25T10:00:00.123Z'))).toBe('2026-11-25T10:00:00.123000Z');
    expect(microTime(new Date('2026-11-25T10:00:00Z'))).toBe('2026-11-25T10:00:00.000000Z');
  });
});

describe('decide', () => {
  it('creates the Lease when there is none', () => {
    expect(decide(undefined, 'me', 0, undefined, 15_000).decision).toEqual({ action: 'create' });
  });

  it('renews a Lease it holds', () => {
    expect(decide(lease('me'), 'me', 0, undefined, 15_000).decision).toEqual({ action: 'renew' });
  });

  it('takes a released Lease (no holder) at once', () => {
    expect(decide(lease(null), 'me', 0, undefined, 15_000).decision).toEqual({ action: 'acquire', reason: 'free' });
    expect(decide(lease(''), 'me', 0, undefined, 15_000).decision).toEqual({ action: 'acquire', reason: 'free' });
  });

  it('waits for a Lease another holds until it has not changed for the lease duration, on the local clock', () => {
    const first = decide(lease('other'), 'me', 1000, undefined, 15_000);
    expect(first.decision).toEqual({ action: 'wait', holder: 'other', expiresInMs: 15_000 });
    const later = decide(lease('other'), 'me', 15_999, first.seen, 15_000);
    expect(later.decision).toMatchObject({ action: 'wait', expiresInMs: 1 });
    expect(decide(lease('other'), 'me', 16_000, later.seen, 15_000).decision).toEqual({ action: 'acquire', reason: 'expired' });
  });

  it('restarts the wait when the holder renews, however old its renewTime looks (clock skew)', () => {
    const first = decide(lease('other', '2020-01-01T00:00:00.000000Z'), 'me', 0, undefined, 15_000);
    const renewed = decide(lease('other', '2020-01-01T00:00:02.000000Z'), 'me', 14_000, first.seen, 15_000);
    expect(renewed.decision).toEqual({ action: 'wait', holder: 'other', expiresInMs: 15_000 });
  });

  it("uses the holder's leaseDurationSeconds (a released Lease says 1 s)", () => {
    const first = decide(lease('other', undefined, 1), 'me', 0, undefined, 15_000);
    expect(first.decision).toMatchObject({ action: 'wait', expiresInMs: 1000 });
  });
});

/** LeaseStore is an in-memory API server for one Lease, with resourceVersion conflicts. */
class LeaseStore {
  lease: Lease | undefined;
  writes: Array<{ method: Method; holder: string | null | undefined; renewTime: string | null | undefined }> = [];
  down = false;
  private rv = 1;

  rest(): Rest {
    return {
      request: async <T>(method: Method, _path: string, options: { body?: unknown } = {}): Promise<T> => {
        if (this.down) throw new Error('connect ECONNREFUSED');
        if (method === 'GET') {
          if (!this.lease) throw new ApiError(404, 'NotFound', 'not found');
          return structuredClone(this.lease) as T;
        }
        const body = structuredClone(options.body) as Lease;
        if (method === 'POST' && this.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
        if (method === 'PUT' && body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion)
          throw new ApiError(409, 'Conflict', 'changed');
        this.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
        this.writes.push({ method, holder: body.spec.holderIdentity, renewTime: body.spec.renewTime });
        return structuredClone(this.lease) as T;
      },
    };
  }
}

function candidate(store: LeaseStore, timers: FakeClock, identity: string) {
  const state = { started: 0, stopped: 0 };
  const elector = new LeaderElector({
    rest: store.rest(),
    namespace: 'ns',
    name: 'l',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    log: pino({ level: 'silent' }),
    clock: timers,
    onStartedLeading: () => state.started++,
    onStoppedLeading: () => state.stopped++,
  });
  return { elector, state };
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, the other takes over after the leader releases', async () => {
    const store = new LeaseStore();
    const timers = new FakeClock();
    const a = candidate(store, timers, 'a');
    const b = candidate(store, timers, 'b');
    a.elector.start();
    await flush();
    b.elector.start();
    await timers.advance(20_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(store.lease?.spec.holderIdentity).toBe('a');
    expect(store.lease?.spec.renewTime).toMatch(/\.\d{6}Z$/);
    await a.elector.stop();
    expect(store.lease?.spec.holderIdentity).toBeNull();
    await timers.advance(2_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(store.lease?.spec.holderIdentity).toBe('b');
    expect(store.lease?.spec.leaseTransitions).toBe(1);
    expect(a.state).toEqual({ started: 1, stopped: 0 });
  });

  it('takes over a Lease whose holder stopped renewing, only after the lease duration', async () => {
    const store = new LeaseStore();
    store.lease = lease('crashed');
    const timers = new FakeClock();
    const b = candidate(store, timers, 'b');
    b.elector.start();
    await timers.advance(14_000);
    expect(b.elector.isLeader()).toBe(false);
    await timers.advance(2_000);
    expect(b.elector.isLeader()).toBe(true);
  });

  it('stops leading when it cannot renew within the renew deadline, and says so once', async () => {
    const store = new LeaseStore();
    const timers = new FakeClock();
    const a = candidate(store, timers, 'a');
    a.elector.start();
    await flush();
    expect(a.elector.isLeader()).toBe(true);
    store.down = true;
    await timers.advance(8_000);
    expect(a.elector.isLeader()).toBe(true);
    await timers.advance(2_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.state.stopped).toBe(1);
    store.down = false;
    await timers.advance(30_000);
    expect(a.state).toEqual({ started: 1, stopped: 1 }); // it does not come back: the process restarts instead
  });

  it('renews every retry period while leading', async () => {
    const store = new LeaseStore();
    const timers = new FakeClock();
    const a = candidate(store, timers, 'a');
    a.elector.start();
    await timers.advance(6_000);
    expect(store.writes.map((w) => w.method)).toEqual(['POST', 'PUT', 'PUT', 'PUT']);
    await a.elector.stop();
  });
});
