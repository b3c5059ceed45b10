import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { backoffDelay } from '../../../src/clock.js';
import { WorkQueue, type Handler } from '../../../src/controller/queue.js';
import { createMetrics } from '../../../src/metrics.js';
import { FakeClock, flush } from '../../support/fake-clock.js';

/** gate is a promise a test resolves by hand, to hold a handler "in flight". */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

function queue(handler: Handler, opts: { workers?: number; timers?: FakeClock } = {}) {
  const timers = opts.timers ?? new FakeClock();
  const q = new WorkQueue({ name: 'test', workers: opts.workers ?? 1, handler, clock: timers, baseDelayMs: 100, maxDelayMs: 1000 });
  return { q, timers };
}

describe('WorkQueue', () => {
  it('runs a key added several times before a worker takes it only once', async () => {
    const seen: string[] = [];
    const { q } = queue(async (k) => void seen.push(k));
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    q.start();
    await flush();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs the same key twice at once, and runs it again after when it was added while in flight', async () => {
    const g = gate();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const { q } = queue(
      async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await g.p;
        running--;
      },
      { workers: 4 },
    );
    q.start();
    q.add('a');
    await flush();
    q.add('a');
    q.add('a');
    await flush();
    expect(calls).toBe(1);
    g.open();
    await flush();
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('runs different keys in parallel up to the number of workers', async () => {
    const g = gate();
    let running = 0;
    let maxRunning = 0;
    const { q } = queue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await g.p;
        running--;
      },
      { workers: 2 },
    );
    q.start();
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await flush();
    expect(running).toBe(2);
    expect(q.len()).toBe(2);
    g.open();
    await flush();
    expect(maxRunning).toBe(2);
    expect(q.len()).toBe(0);
  });

  it('retries a failing key with exponential backoff and resets the backoff after a success', async () => {
    const times: number[] = [];
    let fail = 3;
    const timers = new FakeClock();
    const { q } = queue(
      async () => {
        times.push(timers.monotonicMs());
        if (fail-- > 0) throw new Error('api down');
      },
      { timers },
    );
    q.start();
    q.add('a');
    await timers.advance(10_000);
    expect(times).toEqual([0, 100, 300, 700]); // waits of 100, 200, 400 ms
    expect(q.failuresOf('a')).toBe(0);
    fail = 1;
    q.add('a');
    await timers.advance(10_000);
    expect(times.slice(4).map((t) => t - times[4]!)).toEqual([0, 100]); // back to the base delay
  });

  it('caps the backoff at the maximum delay', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('runs a key again after the delay its handler asked for, and the earliest timer wins', async () => {
    const times: number[] = [];
    const timers = new FakeClock();
    const { q } = queue(
      async () => {
        times.push(timers.monotonicMs());
        return times.length === 1 ? { requeueAfterMs: 5000 } : {};
      },
      { timers },
    );
    q.start();
    q.add('a');
    await flush();
    q.addAfter('a', 8000); // later than the handler's 5 s: ignored
    q.addAfter('a', 2000); // earlier: replaces it
    await timers.advance(10_000);
    expect(times).toEqual([0, 2000]);
    expect(timers.timerCount()).toBe(0);
  });

  it('waits for keys in flight on shutdown and starts no new ones', async () => {
    const g = gate();
    const seen: string[] = [];
    const { q } = queue(async (k) => {
      seen.push(k);
      await g.p;
    });
    q.start();
    q.add('a');
    q.add('b');
    await flush();
    let done = false;
    const stopped = q.shutdown().then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    g.open();
    await stopped;
    expect(seen).toEqual(['a']);
    q.add('c');
    await flush();
    expect(seen).toEqual(['a']);
  });

  it('holds keys added before start until the workers start', async () => {
    const seen: string[] = [];
    const { q } = queue(async (k) => void seen.push(k));
    q.add('a');
    await flush();
    expect(seen).toEqual([]);
    q.start();
    await flush();
    expect(seen).toEqual(['a']);
  });

  it('reports depth, adds and retries in the workqueue metrics', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { perSchedule: true, defaultMetrics: false });
    const timers = new FakeClock();
    let fail = true;
    const q = new WorkQueue({
      name: 'schedule',
      workers: 1,
      clock: timers,
      metrics: metrics.workqueue,
      handler: async () => {
        if (fail) {
          fail = false;
          throw new Error('x');
        }
      },
    });
    q.add('a');
    q.add('b');
    expect((await metrics.workqueue.depth.get()).values[0]?.value).toBe(2);
    q.start();
    await timers.advance(1000);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_retries_total{name="schedule"} 1');
    expect(text).toContain('workqueue_adds_total{name="schedule"} 3');
    expect(text).toContain('workqueue_depth{name="schedule"} 0');
  });
});
