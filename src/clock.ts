// The one clock. Everything that reads the time or waits takes a Clock (constructor option, default
// realClock), so tests drive time with test/support/fake-clock.ts instead of sleeping:
//   - now():         wall-clock time, for what is written or compared with the API server (status, tokens);
//   - monotonicMs(): a reading that never jumps when the system clock is set, for durations and expiry
//                    (the work queue's latencies, the Lease's renew deadline), as Go's monotonic clock
//                    reading does for client-go's leader election;
//   - setTimer():    run a function once after a delay; the handle cancels it.
// backoffDelay is the one retry schedule (work queue, informers, callback deliveries).

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  monotonicMs(): number;
  setTimer(fn: () => void, ms: number): Timer;
}

/** backoffDelay is the wait before retry number `failures` (1-based): base * 2^(failures-1), capped at max. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 40));
}

export const realClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
