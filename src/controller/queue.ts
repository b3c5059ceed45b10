// A keyed work queue with client-go's guarantees:
//   - a key waiting in the queue is stored once, however often it is added (dedupe);
//   - at most one worker handles a key at a time; a key added while in flight runs again after;
//   - a handler that throws is retried with per-key exponential backoff (reset when it succeeds);
//   - a handler may ask to run again after a delay (one timer per key; the earliest wins);
//   - shutdown stops handing out keys and waits for the ones in flight.
// Time is injected (a Clock, src/clock.ts) so the unit tests drive it without sleeping.
import { backoffDelay, realClock, type Clock } from '../clock.js';
import type { WorkqueueMetrics } from '../metrics.js';

export interface HandlerResult {
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<HandlerResult | void>;

export interface QueueOptions {
  name: string;
  workers: number;
  handler: Handler;
  clock?: Clock;
  /** baseDelayMs and maxDelayMs bound the retry backoff: base * 2^(failures-1), capped. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  metrics?: WorkqueueMetrics;
  /** onError sees every handler failure (for logs); the queue retries regardless. */
  onError?: (key: string, err: unknown, failures: number) => void;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly waiting = new Set<string>(); // keys in `ready`
  private readonly addedAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly dirtyInFlight = new Set<string>(); // added again while in flight
  private readonly timers = new Map<string, { at: number; cancel(): void }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private running = 0;
  private started = false;
  private stopping = false;
  private readonly t: Clock;
  private readonly base: number;
  private readonly max: number;

  constructor(private readonly opts: QueueOptions) {
    this.t = opts.clock ?? realClock;
    this.base = opts.baseDelayMs ?? 5;
    this.max = opts.maxDelayMs ?? 300_000;
  }

  /** add makes the key due now. Keys added before start() wait until then. */
  add(key: string): void {
    if (this.stopping) return;
    this.opts.metrics?.adds.inc({ name: this.opts.name });
    if (this.inFlight.has(key)) {
      this.dirtyInFlight.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.ready.push(key);
    this.addedAt.set(key, this.t.monotonicMs());
    this.updateDepth();
    this.pump();
  }

  /** addAfter makes the key due after ms; an earlier timer for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) return this.add(key);
    const at = this.t.monotonicMs() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const timer = this.t.setTimer(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, cancel: () => timer.cancel() });
  }

  /** start launches the workers (the controller starts them once it leads). */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.pump();
  }

  /** shutdown stops handing out keys, cancels timers and resolves when no handler is running. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  len(): number {
    return this.ready.length;
  }

  /** failuresOf is how many times in a row the key's handler has failed. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  private pump(): void {
    while (this.started && !this.stopping && this.running < this.opts.workers && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.waiting.delete(key);
      const added = this.addedAt.get(key);
      this.addedAt.delete(key);
      if (added !== undefined) this.opts.metrics?.queueDuration.observe({ name: this.opts.name }, (this.t.monotonicMs() - added) / 1000);
      this.updateDepth();
      this.running++;
      this.inFlight.add(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    const started = this.t.monotonicMs();
    let result: HandlerResult | undefined;
    let failed = false;
    try {
      result = (await this.opts.handler(key)) || undefined;
    } catch (err) {
      failed = true;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.opts.onError?.(key, err, n);
    }
    this.opts.metrics?.workDuration.observe({ name: this.opts.name }, (this.t.monotonicMs() - started) / 1000);
    this.inFlight.delete(key);
    this.running--;
    if (failed) {
      this.opts.metrics?.retries.inc({ name: this.opts.name });
      this.addAfter(key, backoffDelay(this.failures.get(key)!, this.base, this.max));
    } else {
      this.failures.delete(key);
      if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    }
    if (this.dirtyInFlight.delete(key)) this.add(key);
    if (this.stopping && this.running === 0) this.idleWaiters.splice(0).forEach((r) => r());
    this.pump();
  }

  private updateDepth(): void {
    this.opts.metrics?.depth.set({ name: this.opts.name }, this.ready.length);
  }
}
