// The Schedule controller: turns a work-queue key (src/controller/keys.ts; events map to keys in
// src/controller/events.ts) into one `reconcile` pass over what the caches hold, records the controller_runtime
// metrics, and tells the queue when to come back (src/controller/requeue.ts).
import type { Logger } from 'pino';
import { LABEL_SCHEDULE, type Schedule } from '../api/schedule.js';
import type { KubeClient } from '../kube/client.js';
import type { CronJob, Job } from '../types/kube.js';
import type { Metrics } from '../metrics.js';
import { runMetrics, type RunMetrics } from '../metrics-runs.js';
import { Notifier } from '../notify/notifier.js';
import { splitKey } from './keys.js';
import { reconcile, releaseForgottenSchedule } from './reconcile.js';
import { queueDelay, requeuePolicy, type RequeuePolicy } from './requeue.js';

/** ObjectCache is the read side of an informer. */
export interface ObjectCache<T> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  hasSynced(): boolean;
}

export interface ControllerDeps {
  schedules: ObjectCache<Schedule>;
  cronJobs: ObjectCache<CronJob>;
  jobs: ObjectCache<Job>;
  kube: KubeClient;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
  minIntervalMinutes?: number | undefined;
  /** resyncMs is the period of the resync that reconciles every Schedule (the requeue policy leaves that far to it). */
  resyncMs: number;
  /** notifier delivers completion callbacks (default: one built here, stopped by stop()). */
  notifier?: Notifier | undefined;
  /** allowPrivateCallbackTargets: --allow-private-callback-targets (env ALLOW_PRIVATE_CALLBACK_TARGETS), from src/config.ts. */
  allowPrivateCallbackTargets?: boolean | undefined;
  /** enqueue adds a key to the work queue: a finished callback delivery asks for a pass that records it (without it, passes poll). */
  enqueue?: ((key: string) => void) | undefined;
}

export const CONTROLLER_NAME = 'schedule';

/** ScheduleController turns a key into a reconcile pass over what the caches hold. */
export class ScheduleController {
  private readonly appliedGenerations = new Map<string, number>();
  /**
   * written remembers, per key, our last status write until the cache shows it: a pass that starts before the watch
   * brings it back reads our write instead of the older copy. Otherwise a retry soon after a write would compare
   * with the stale status (skipping a write it needs, e.g. Ready back to True after a failed pass wrote Unknown)
   * and write with a stale resourceVersion (a 409, again and again until the cache catches up).
   */
  private readonly written = new Map<string, { over: Set<string>; schedule: Schedule }>();
  /**
   * stale: keys whose last status write was refused with 409. The cache is behind the API server (our own write
   * is not the newest, or the Schedule informer is down for a while, e.g. after an API-server restart), so the
   * next pass reads the Schedule once from the API server instead of writing from the same stale copy again.
   */
  private readonly stale = new Set<string>();
  private readonly runMetrics: RunMetrics;
  /** warned: what this process has logged once (e.g. no RBAC to read the pods of failed runs, per namespace). */
  private readonly warned = new Set<string>();
  private readonly requeue: RequeuePolicy;
  readonly notifier: Notifier;

  constructor(private readonly deps: ControllerDeps) {
    this.runMetrics = runMetrics(deps.metrics);
    this.requeue = requeuePolicy(deps.resyncMs, deps.enqueue !== undefined);
    this.notifier =
      deps.notifier ??
      new Notifier({
        kube: deps.kube,
        log: deps.log,
        allowPrivateTargets: deps.allowPrivateCallbackTargets === true,
        onChange: deps.enqueue,
      });
  }

  /**
   * handle reconciles one Schedule key and records controller_runtime_reconcile_*; it returns what the work queue
   * should do next (the queue retries with backoff when this throws).
   */
  async handle(key: string): Promise<{ requeueAfterMs?: number }> {
    const { metrics } = this.deps;
    const labels = { controller: CONTROLLER_NAME };
    const endTimer = metrics.reconcileTime.startTimer(labels);
    try {
      const result = await this.reconcileKey(key);
      metrics.reconcileTotal.inc({ ...labels, result: result.requeueAfterMs !== undefined ? 'requeue_after' : 'success' });
      const delay = queueDelay(this.requeue, result.requeueAfterMs);
      return delay === undefined ? {} : { requeueAfterMs: delay };
    } catch (err) {
      metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      metrics.reconcileErrors.inc(labels);
      throw err;
    } finally {
      endTimer();
    }
  }

  private async reconcileKey(key: string): Promise<{ requeueAfterMs?: number }> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.schedules.get(namespace, name);
    if (this.stale.delete(key) && cached) {
      const live = await this.deps.kube.getSchedule(namespace, name);
      if (live) this.remember(key, cached, live);
    }
    const schedule = this.freshest(key, cached);
    const jobs = this.deps.jobs.list(namespace).filter((j) => j.metadata.labels?.[LABEL_SCHEDULE] === name);
    if (!schedule || schedule.metadata.deletionTimestamp) {
      // Owner references let the GC remove the CronJob and Jobs; the ledger finalizer must not hold them.
      this.notifier.drop(key);
      this.runMetrics.forget(namespace, name);
      await releaseForgottenSchedule(jobs, this.deps.kube);
      return {};
    }
    const cronJob = this.deps.cronJobs.get(namespace, name);
    const result = await reconcile(
      { schedule, cronJob, jobs },
      {
        kube: this.deps.kube,
        now: this.deps.now,
        log: this.deps.log,
        minIntervalMinutes: this.deps.minIntervalMinutes,
        appliedGenerations: this.appliedGenerations,
        requeue: this.requeue,
        notifier: this.notifier,
        runMetrics: this.runMetrics,
        statusWritten: (written) => this.remember(key, schedule, written),
        statusConflict: () => this.stale.add(key),
        firstTime: (what) => !this.warned.has(what) && this.warned.add(what) !== undefined,
      },
    );
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {};
  }

  /**
   * freshest: our own newest copy (the last status write, or the live read after a 409) while the cache still holds
   * a version that copy replaced, else the cached Schedule.
   */
  private freshest(key: string, cached: Schedule | undefined): Schedule | undefined {
    const mine = this.written.get(key);
    const rv = cached?.metadata.resourceVersion;
    if (mine && rv !== undefined && mine.over.has(rv)) return mine.schedule;
    this.written.delete(key); // the cache has caught up (or moved on, or the Schedule is gone)
    return cached;
  }

  /** remember keeps `copy` as the newest Schedule of `key`; it replaces `over` and every version that one replaced. */
  private remember(key: string, over: Schedule, copy: Schedule): void {
    const replaced = new Set(this.written.get(key)?.over);
    if (over.metadata.resourceVersion !== undefined) replaced.add(over.metadata.resourceVersion);
    this.written.set(key, { over: replaced, schedule: copy });
  }

  /** failed logs a failed pass the work queue will retry: a warning, an error from the fifth failure in a row on. */
  failed(key: string, err: unknown, failures: number): void {
    const level = failures >= 5 ? 'error' : 'warn';
    this.deps.log[level]({ key, failures, err: (err as Error).message }, 'reconcile failed; retrying with backoff');
  }

  /** forgetCronJob drops what we remembered about a deleted CronJob. */
  forgetCronJob(uid: string | undefined): void {
    if (uid) this.appliedGenerations.delete(uid);
  }
}
