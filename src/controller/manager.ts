// The manager: informers (Schedules, our CronJobs, our Jobs; per watched namespace or cluster-wide)
// feed keys into the work queue; workers run ScheduleController.handle. Informers start at once, so a
// standby replica keeps warm caches; workers and the periodic resync start only when this process leads.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.js';
import { GROUP, LABEL_SCHEDULE, PLURAL, VERSION, type Schedule } from '../api/schedule.js';
import { Informer, MultiCache, type InformerHandlers } from '../kube/informer.js';
import type { KubeClient } from '../kube/client.js';
import { ApiError, isNotFound } from '../kube/rest.js';
import type { CronJob, Job } from '../types/kube.js';
import { collectionPath, type KObject, type ListWatch, type ResourceRef } from '../kube/watch.js';
import type { Metrics } from '../metrics.js';
import { cronJobEvents, jobEvents, scheduleEvents, type EventSink } from './events.js';
import { keyOf } from './keys.js';
import { WorkQueue } from './queue.js';
import { Resync } from './resync.js';
import { CONTROLLER_NAME, ScheduleController } from './schedule-controller.js';

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
  clock?: Clock;
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
    return "the API server rejected the operator's credentials (401 Unauthorized): check the kubeconfig or ServiceAccount token; retrying";
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
  private resync: Resync | undefined;
  private workersStarted = false;
  private stopped = false;
  private readonly t: Clock;

  constructor(private readonly opts: ManagerOptions) {
    this.t = opts.clock ?? realClock;
    const sink: EventSink = {
      enqueue: (key) => this.queue.add(key),
      hasSchedule: (namespace, name) => this.schedules.get(namespace, name) !== undefined,
      forgetCronJob: (uid) => this.controller.forgetCronJob(uid),
    };
    this.schedules = this.cache<Schedule>('schedules', scheduleEvents(sink));
    this.cronJobs = this.cache<CronJob>('cronJobs', cronJobEvents(sink));
    this.jobs = this.cache<Job>('jobs', jobEvents(sink));
    this.controller = new ScheduleController({
      schedules: this.schedules,
      cronJobs: this.cronJobs,
      jobs: this.jobs,
      kube: opts.kube,
      metrics: opts.metrics,
      log: opts.log,
      now: opts.now,
      minIntervalMinutes: opts.minIntervalMinutes,
      allowPrivateCallbackTargets: opts.allowPrivateCallbackTargets,
      enqueue: sink.enqueue,
      resyncMs: opts.resyncPeriodMs,
    });
    this.queue = new WorkQueue({
      name: CONTROLLER_NAME,
      workers: opts.workers,
      handler: (key) => this.controller.handle(key),
      clock: this.t,
      metrics: opts.metrics.workqueue,
      onError: (key, err, failures) => this.controller.failed(key, err, failures),
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

  /** startWorkers begins reconciling (call when leading) and the periodic resync of every Schedule (spread over its period: resync.ts). */
  startWorkers(): void {
    if (this.workersStarted || this.stopped) return;
    this.workersStarted = true;
    this.queue.start();
    this.resync = new Resync({
      clock: this.t,
      periodMs: this.opts.resyncPeriodMs,
      keys: () => this.schedules.list().map((s) => keyOf(s.metadata.namespace, s.metadata.name)),
      add: (key) => this.queue.add(key),
    });
    this.resync.start();
  }

  /** stop ends the watches, then waits for the reconciles in flight (no new ones start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resync?.stop();
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
        source: this.opts.listWatch<T>({
          path,
          apiVersion: r.groupVersion,
          kind: r.kind,
          ...(r.labelSelector ? { labelSelector: r.labelSelector } : {}),
        }),
        log: this.opts.log,
        handlers,
        clock: this.t,
        describeError: (err) => describeListError(resource, path, err),
      });
      byNamespace.set(ns, informer);
      this.informers.push(informer as unknown as Informer<KObject>);
    }
    return new MultiCache(byNamespace);
  }
}
