// A manual Clock (src/clock.ts): tests move time with advance() instead of sleeping. now() starts at
// `start` (default 2026-01-01T00:00:00Z) and moves with monotonicMs(), which starts at 0.
import type { Clock, Timer } from '../../src/clock.js';

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(private readonly start = new Date(Date.UTC(2026, 0, 1))) {}

  now(): Date {
    return new Date(this.start.getTime() + this.t);
  }

  monotonicMs(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return { cancel: () => this.pending.delete(id) };
  }

  /** advance moves the clock, firing due timers in time order and letting their promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await flush();
  }

  timerCount(): number {
    return this.pending.size;
  }
}

/** flush lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
