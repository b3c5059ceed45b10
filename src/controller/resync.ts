// The periodic resync, spread over its period. Every Schedule is reconciled again once per period (a safety
// net: watch events and each Schedule's own requeue bring every pass it needs), but not all at once: at the
// start of each period the fleet's keys are dealt into SLICES equal parts, and one part is queued every
// period / SLICES. A fleet of 10,000 Schedules then adds 100 keys at a time instead of 10,000, so a Job that
// finishes during the resync waits behind at most one slice, not behind the whole fleet.
import type { Clock, Timer } from '../clock.js';

/** RESYNC_SLICES: how many parts a resync period is split into. */
export const RESYNC_SLICES = 100;

export interface ResyncOptions {
  clock: Clock;
  periodMs: number;
  /** keys: the keys of every Schedule in the cache now. */
  keys: () => string[];
  /** add queues one key. */
  add: (key: string) => void;
  slices?: number;
}

export class Resync {
  private timer: Timer | undefined;
  private slice = 0;
  private parts: string[][] = [];
  private readonly slices: number;

  constructor(private readonly opts: ResyncOptions) {
    this.slices = Math.max(1, opts.slices ?? RESYNC_SLICES);
  }

  /** start: the first slice is queued one slice-interval from now (the caches' initial lists queued everything). */
  start(): void {
    this.stop();
    this.slice = 0;
    this.parts = [];
    this.schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimer(() => this.tick(), this.opts.periodMs / this.slices);
  }

  private tick(): void {
    if (this.slice === 0) {
      // Deal this period's keys: key i goes to part i mod slices. Schedules created later come in the next period
      // (their creation queued them already).
      this.parts = Array.from({ length: this.slices }, () => []);
      this.opts.keys().forEach((key, i) => this.parts[i % this.slices]!.push(key));
    }
    for (const key of this.parts[this.slice] ?? []) this.opts.add(key);
    this.slice = (this.slice + 1) % this.slices;
    this.schedule();
  }
}
