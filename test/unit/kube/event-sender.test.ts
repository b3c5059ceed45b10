// Events leave in the background (src/kube/event-sender.ts): recordEvent returns before the API server
// answers, the queue is bounded, failures are counted and logged, and shutdown can wait for the queue.
import { describe, expect, it } from 'vitest';
import type { KubeClient, ObjectRef } from '../../../src/kube/client.js';
import { sendEventsInBackground } from '../../../src/kube/event-sender.js';
import type { EventRecord } from '../../../src/types/kube.js';
import { FakeClock } from '../../support/fake-clock.js';

interface Call {
  reason: string;
  settle: (err?: Error) => void;
}

/** innerClient: recordEvent stays pending until the test settles it; applyCronJob answers at once. */
function innerClient() {
  const calls: Call[] = [];
  const inner = {
    recordEvent: (_ref: ObjectRef, event: EventRecord) =>
      new Promise<void>((resolve, reject) => calls.push({ reason: event.reason, settle: (err) => (err ? reject(err) : resolve()) })),
    applyCronJob: async (c: unknown) => ({ applied: c }),
  } as unknown as KubeClient;
  return { inner, calls };
}

const ref: ObjectRef = { namespace: 'ns', name: 's', uid: 'u' };
const event = (reason: string): EventRecord => ({ type: 'Normal', reason, message: reason, action: 'Reconcile' });
const settled = () => new Promise((r) => setImmediate(r));

function logger() {
  const warnings: Array<{ fields: unknown; msg: string }> = [];
  return { warnings, log: { warn: (fields: unknown, msg: string) => warnings.push({ fields, msg }) } as never };
}

describe('sendEventsInBackground', () => {
  it('returns before the API server answers, sends in order, at most `senders` at a time', async () => {
    const { inner, calls } = innerClient();
    const { log } = logger();
    const { client } = sendEventsInBackground(inner, { log, senders: 2 });
    for (const r of ['A', 'B', 'C', 'D']) await client.recordEvent(ref, event(r)); // would hang if it waited for the send
    expect(calls.map((c) => c.reason)).toEqual(['A', 'B']);
    calls[1]!.settle();
    await settled();
    expect(calls.map((c) => c.reason)).toEqual(['A', 'B', 'C']);
    calls[0]!.settle();
    await settled();
    expect(calls.map((c) => c.reason)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('passes every other method to the inner client', async () => {
    const { inner } = innerClient();
    const { client } = sendEventsInBackground(inner, { log: logger().log });
    expect(await client.applyCronJob({ metadata: { name: 'c' } } as never)).toEqual({ applied: { metadata: { name: 'c' } } });
  });

  it('drops Events beyond its capacity, counts each, and logs once per overflow', async () => {
    const { inner, calls } = innerClient();
    const { log, warnings } = logger();
    const dropped: string[] = [];
    const { client } = sendEventsInBackground(inner, { log, senders: 1, capacity: 2, onDropped: (why) => dropped.push(why) });
    for (const r of ['A', 'B', 'C', 'D', 'E']) await client.recordEvent(ref, event(r)); // A in flight, B and C wait
    expect(dropped).toEqual(['overflow', 'overflow']);
    expect(warnings.map((w) => w.msg)).toEqual(['event queue full: dropping Events until it drains']);
    for (let i = 0; i < 3; i++) {
      calls[i]!.settle();
      await settled();
    }
    expect(calls.map((c) => c.reason)).toEqual(['A', 'B', 'C']);
  });

  it('counts and logs an Event the API server refused, and sends the next', async () => {
    const { inner, calls } = innerClient();
    const { log, warnings } = logger();
    const dropped: string[] = [];
    const { client } = sendEventsInBackground(inner, { log, senders: 1, onDropped: (why) => dropped.push(why) });
    await client.recordEvent(ref, event('A'));
    await client.recordEvent(ref, event('B'));
    calls[0]!.settle(new Error('forbidden'));
    await settled();
    expect(dropped).toEqual(['failed']);
    expect(warnings).toEqual([{ fields: { err: 'forbidden', schedule: 'ns/s', reason: 'A' }, msg: 'could not record event' }]);
    expect(calls.map((c) => c.reason)).toEqual(['A', 'B']);
  });

  it('flush waits until the queue is empty, or for its timeout', async () => {
    const clock = new FakeClock();
    const { inner, calls } = innerClient();
    const sender = sendEventsInBackground(inner, { log: logger().log, senders: 1, clock });
    await sender.client.recordEvent(ref, event('A'));
    await sender.client.recordEvent(ref, event('B'));
    let flushed = false;
    void sender.flush(2000).then(() => (flushed = true));
    calls[0]!.settle();
    await settled();
    expect(flushed).toBe(false); // B is in flight
    calls[1]!.settle();
    await settled();
    expect(flushed).toBe(true);

    await sender.client.recordEvent(ref, event('C')); // never answered
    let timedOut = false;
    void sender.flush(2000).then(() => (timedOut = true));
    await clock.advance(1999);
    expect(timedOut).toBe(false);
    await clock.advance(1);
    expect(timedOut).toBe(true);
  });
});
