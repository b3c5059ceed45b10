// Events leave in the background, as client-go's event broadcaster sends them: recordEvent hands the Event to a
// bounded queue and returns, and a few senders take Events from it in the order they came. A reconcile worker spends
// its time on the writes that decide the Schedule (the CronJob apply, the status write), not waiting for a
// notice to people. Events are best effort either way: a refused or failed Event is logged and counted, never
// retried, and when the queue is full (the API server is down or far behind) new Events are dropped, counted,
// and logged once per overflow.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.js';
import type { KubeClient, ObjectRef } from './client.js';
import type { EventRecord } from '../types/kube.js';

export interface EventSenderOptions {
  log: Pick<Logger, 'warn'>;
  /** capacity: Events waiting at most (client-go's broadcaster queues 1,000). */
  capacity?: number;
  /** senders: Events in flight at most. */
  senders?: number;
  /** onDropped: called for each Event that was never sent (queue full or the send failed). */
  onDropped?: (why: 'overflow' | 'failed') => void;
  clock?: Clock;
}

export interface EventSender {
  /** client: the same KubeClient, whose recordEvent queues the Event and resolves at once. */
  client: KubeClient;
  /** flush resolves when every queued Event was sent or given up, or after timeoutMs. */
  flush(timeoutMs: number): Promise<void>;
}

interface Queued {
  ref: ObjectRef;
  event: EventRecord;
}

export function sendEventsInBackground(inner: KubeClient, opts: EventSenderOptions): EventSender {
  const capacity = opts.capacity ?? 1000;
  const senders = opts.senders ?? 2;
  const clock = opts.clock ?? realClock;
  const queue: Queued[] = [];
  let head = 0;
  let inFlight = 0;
  let overflowing = false;
  const idle: Array<() => void> = [];

  const settleIfIdle = () => {
    if (inFlight === 0 && head === queue.length) for (const resolve of idle.splice(0)) resolve();
  };

  const pump = () => {
    while (inFlight < senders && head < queue.length) {
      const item = queue[head++]!;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      inFlight++;
      inner
        .recordEvent(item.ref, item.event)
        .catch((err: unknown) => {
          opts.onDropped?.('failed');
          opts.log.warn(
            { err: (err as Error).message, schedule: `${item.ref.namespace}/${item.ref.name}`, reason: item.event.reason },
            'could not record event',
          );
        })
        .finally(() => {
          inFlight--;
          pump();
          settleIfIdle();
        });
    }
  };

  const recordEvent = async (ref: ObjectRef, event: EventRecord): Promise<void> => {
    if (queue.length - head >= capacity) {
      opts.onDropped?.('overflow');
      if (!overflowing) opts.log.warn({ capacity }, 'event queue full: dropping Events until it drains');
      overflowing = true;
      return;
    }
    overflowing = false;
    queue.push({ ref, event });
    pump();
  };
  // Every other method is the inner client's own (methods added to KubeClient later pass through untouched).
  const client = new Proxy(inner, {
    get: (target, prop, receiver) => (prop === 'recordEvent' ? recordEvent : Reflect.get(target, prop, receiver)),
  });

  return {
    client,
    flush: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = clock.setTimer(resolve, timeoutMs);
        idle.push(() => {
          timer.cancel();
          resolve();
        });
        settleIfIdle();
      }),
  };
}
