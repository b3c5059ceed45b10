// The manager: informers (Schedules, our CronJobs, our Jobs; per watched namespace or cluster-wide)
// feed keys into the work queue; workers run ScheduleController.handle. Informers start at once, so a
// standby replica keeps warm caches; workers and the periodic resync start only when this process leads.
import type { Logger } from 'pino';
import { GROUP, LABEL_SCHEDULE, PLURAL, VERSION, type Schedule } from '../api/schedule.js';
import { Informer, MultiCache, observeStatusWrites, type InformerHandlers } from '../kube/informer.js';
import type { KubeClient } from '../kube/client.js';
import { ApiError, isNotFound } from '../kube/rest.js';
import type { CronJob, Job } from '../kube/types.js';
import { collectionPath, type KObject, type ListWatch, type ResourceRef } from '../kube/watch.js';
import type { Metrics } from '../metrics.js';
import { WorkQueue, realTimers, type Timers } from './queue.js';
import { CONTROLLER_NAME, ScheduleController, keyOf, scheduleKeyForCronJob, scheduleKeyForJob } from './schedule-controller.js';

/** The three resources the controller watches. */
export const RESOURCES = {
  schedules: { groupVersion: `${GROUP}/${VERSION}`, plural: PLURAL, kind: 'Schedule', labelSelector: undefined },
  // CronJobs are not filtered by our managed-by label: a CronJob someone else made with a Schedule's name
  // must be visible, or server-side apply (force) would silently take it over instead of reporting
  // CronJobNotOwned. CronJobs are few next to Jobs, and the cache drops their managedFields.
  cronJobs: { groupVersion: 'batch/v1', plural: 'cronjobs', kind: 'CronJob', labelSelector: undefined },
  jobs: { groupVersion: 'batch/v1', plural: 'jobs', kind: 'Job', labelSelector: LABEL_SCHEDULE },
} as const;
export type ResourceName = keyof typeof RESOURCES;

export interface ManagerOptions {
  /** listWatch builds the list/watch source of one resource collection (tests pass fakes). */
  listWatch<T extends KObject>(ref: ResourceRef): ListWatch<T>;
  kube: KubeClient;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
  /** namespaces to watch; empty means every namespace. */
  namespaces: string[];
  workers: number;
  resyncPeriodMs: number;
  minIntervalMinutes?: number | undefined;
  /** allowPrivateCallbackTargets: --allow-private-callback-targets. */
  allowPrivateCallbackTargets?: boolean | undefined;
  timers?: Timers;
}

/** scheduleChanged is false for updates that touch only status or bookkeeping (our own status writes, mostly). */
export function scheduleChanged(oldS: Schedule, newS: Schedule): boolean {
  const a = oldS.metadata;
  const b = newS.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {})
  );
}

/** describeListError turns a list/watch failure into what a person should do about it. */
export function describeListError(resource: ResourceName, path: string, err: unknown): string {
  if (isNotFound(err) && resource === 'schedules') {
    return 'the Schedule CRD is not installed: run `kubectl apply --server-side -f crds/` (or install the Helm chart); retrying';
  }
  if (err instanceof ApiError && err.statusCode === 403) {
    return `the operator may not list/watch ${path} (403 Forbidden): grant its ServiceAccount get/list/watch on ${RESOURCES[resource].plural}; retrying`;
  }
  if (err instanceof ApiError && err.statusCode === 401) {
    return 'the API server rejected the operator\'s credentials (401 Unauthorized): check the kubeconfig or ServiceAccount token; retrying';
  }
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return `cannot reach the API server (${code}): check that the cluster in the kubeconfig is running; retrying`;
  }
  return `list/watch of ${path} failed: ${(err as Error).message}; retrying`;
}

export class Manager {
  readonly schedules: MultiCache<Schedule>;
  readonly cronJobs: MultiCache<CronJob>;
  readonly jobs: MultiCache<Job>;
  readonly queue: WorkQueue;
  readonly controller: ScheduleController;
  private readonly informers: Informer<KObject>[] = [];
  private resyncTimer: { cancel(): void } | undefined;
  private workersStarted = false;
  private stopped = false;
  private readonly t: Timers;

  constructor(private readonly opts: ManagerOptions) {
    this.t = opts.timers ?? realTimers;
    const enqueue = (key: string | undefined) => key && this.queue.add(key);
    this.schedules = this.cache<Schedule>('schedules', {
      onAdd: (s) => enqueue(keyOf(s.metadata.namespace, s.metadata.name)),
      onUpdate: (o, s) => scheduleChanged(o, s) && enqueue(keyOf(s.metadata.namespace, s.metadata.name)),
      onDelete: (s) => enqueue(keyOf(s.metadata.namespace, s.metadata.name)), // the controller lets go of what it held
    });
    // A CronJob maps to its owning Schedule, or else to a Schedule of the same name (one that is waiting
    // for a foreign CronJob to go away).
    const cronJobKey = (c: CronJob) => {
      const ns = c.metadata.namespace ?? '';
      return scheduleKeyForCronJob(c) ?? (this.schedules.get(ns, c.metadata.name) ? keyOf(ns, c.metadata.name) : undefined);
    };
    this.cronJobs = this.cache<CronJob>('cronJobs', {
      onAdd: (c) => enqueue(cronJobKey(c)),
      onUpdate: (_o, c) => enqueue(cronJobKey(c)),
      onDelete: (c) => {
        this.controller.forgetCronJob(c.metadata.uid);
        enqueue(cronJobKey(c));
      },
    });
    this.jobs = this.cache<Job>('jobs', {
      onAdd: (j) => enqueue(scheduleKeyForJob(j)),
      onUpdate: (_o, j) => enqueue(scheduleKeyForJob(j)),
      onDelete: (j) => enqueue(scheduleKeyForJob(j)),
    });
    const resyncMs = opts.resyncPeriodMs;
    this.controller = new ScheduleController({
      schedules: this.schedules,
      cronJobs: this.cronJobs,
      jobs: this.jobs,
      kube: observeStatusWrites(opts.kube, this.schedules),
      metrics: opts.metrics,
      log: opts.log,
      now: opts.now,
      minIntervalMinutes: opts.minIntervalMinutes,
      allowPrivateCallbackTargets: opts.allowPrivateCallbackTargets,
      enqueue: (key) => this.queue.add(key),
      maxRequeueMs: resyncMs,
    });
    this.queue = new WorkQueue({
      name: CONTROLLER_NAME,
      workers: opts.workers,
      handler: async (key) => {
        const result = await this.controller.handle(key);
        // The periodic resync reconciles every Schedule anyway: a requeue no sooner than it would only
        // double the idle work (measured: 2 reconciles per Schedule per period instead of 1).
        return result.requeueAfterMs !== undefined && result.requeueAfterMs >= resyncMs ? {} : result;
      },
      timers: this.t,
      metrics: opts.metrics.workqueue,
      onError: (key, err, failures) => {
        const level = failures >= 5 ? 'error' : 'warn';
        opts.log[level]({ key, failures, err: (err as Error).message }, 'reconcile failed; retrying with backoff');
      },
    });
    opts.metrics.observeSchedules(() => this.schedules.list());
  }

  /** startInformers lists and watches; safe before leading (keys queue up until the workers start). */
  startInformers(): void {
    for (const i of this.informers) i.start();
  }

  hasSynced(): boolean {
    return this.schedules.hasSynced() && this.cronJobs.hasSynced() && this.jobs.hasSynced();
  }

  /** startWorkers begins reconciling (call when leading) and the periodic resync of every Schedule. */
  startWorkers(): void {
    if (this.workersStarted || this.stopped) return;
    this.workersStarted = true;
    this.queue.start();
    const resync = () => {
      if (this.stopped) return;
      // A resync before the caches synced would miss Schedules; their list adds them anyway.
      for (const s of this.schedules.list()) this.queue.add(keyOf(s.metadata.namespace, s.metadata.name));
      this.resyncTimer = this.t.setTimer(resync, this.opts.resyncPeriodMs);
    };
    this.resyncTimer = this.t.setTimer(resync, this.opts.resyncPeriodMs);
  }

  /** stop ends the watches, then waits for the reconciles in flight (no new ones start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resyncTimer?.cancel();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.queue.shutdown();
    this.controller.notifier.stop(); // pending callback retries end with the process
  }

  private cache<T extends KObject>(resource: ResourceName, handlers: InformerHandlers<T>): MultiCache<T> {
    const r = RESOURCES[resource];
    const namespaces: Array<string | undefined> = this.opts.namespaces.length ? this.opts.namespaces : [undefined];
    const byNamespace = new Map<string | undefined, Informer<T>>();
    for (const ns of namespaces) {
      const path = collectionPath(r.groupVersion, r.plural, ns);
      const informer = new Informer<T>({
        name: `${r.plural}${ns ? `/${ns}` : ''}`,
        source: this.opts.listWatch<T>({ path, apiVersion: r.groupVersion, kind: r.kind, ...(r.labelSelector ? { labelSelector: r.labelSelector } : {}) }),
        log: this.opts.log,
        handlers,
        timers: this.t,
        describeError: (err) => describeListError(resource, path, err),
      });
      byNamespace.set(ns, informer);
      this.informers.push(informer as unknown as Informer<KObject>);
    }
    return new MultiCache(byNamespace);
  }
}
