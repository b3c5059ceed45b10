// The Schedule controller: watches Schedules, the CronJobs it owns and their Jobs, maps every change to
// the owning Schedule's key, and runs `reconcile` for that key on a work queue (one pass in flight per key).
import type { Logger } from 'pino';
import { LABEL_SCHEDULE, type Schedule } from '../api/schedule.js';
import type { KubeClient } from '../kube/client.js';
import type { CronJob, Job } from '../types/kube.js';
import type { Metrics } from '../metrics.js';
import { runMetrics, type RunMetrics } from '../metrics-runs.js';
import { Notifier } from '../notify/notifier.js';
import { NOTIFY_POLL_MS, reconcile, releaseForgottenSchedule } from './reconcile.js';

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
  maxRequeueMs: number;
  /** notifier delivers completion callbacks (default: one built here, stopped by stop()). */
  notifier?: Notifier | undefined;
  /** allowPrivateCallbackTargets: --allow-private-callback-targets (env ALLOW_PRIVATE_CALLBACK_TARGETS), from src/config.ts. */
  allowPrivateCallbackTargets?: boolean | undefined;
  /** enqueue adds a key to the work queue: a finished callback delivery asks for a pass that records it (without it, passes poll). */
  enqueue?: ((key: string) => void) | undefined;
}

export const CONTROLLER_NAME = 'schedule';

export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** scheduleKeyForCronJob maps a CronJob event to its owning Schedule (nothing if it is not ours). */
export function scheduleKeyForCronJob(cronJob: CronJob): string | undefined {
  const owner = cronJob.metadata.ownerReferences?.find((o) => o.kind === 'Schedule' && o.controller);
  const name = owner?.name ?? cronJob.metadata.labels?.[LABEL_SCHEDULE];
  return name && cronJob.metadata.namespace ? keyOf(cronJob.metadata.namespace, name) : undefined;
}

/** scheduleKeyForJob maps a Job event to its Schedule through the schedule-operator.io/schedule label. */
export function scheduleKeyForJob(job: Job): string | undefined {
  const name = job.metadata.labels?.[LABEL_SCHEDULE];
  return name && job.metadata.namespace ? keyOf(job.metadata.namespace, name) : undefined;
}

/** ScheduleController turns a key into a reconcile pass over what the caches hold. */
export class ScheduleController {
  private readonly appliedGenerations = new Map<string, number>();
  private readonly runMetrics: RunMetrics;
  readonly notifier: Notifier;

  constructor(private readonly deps: ControllerDeps) {
    this.runMetrics = runMetrics(deps.metrics.registry, deps.metrics.perSchedule);
    this.notifier =
      deps.notifier ??
      new Notifier({
        kube: deps.kube,
        log: deps.log,
        allowPrivateTargets: deps.allowPrivateCallbackTargets === true,
        onChange: deps.enqueue,
      });
  }

  /** handle reconciles one Schedule key and records controller_runtime_reconcile_*; the queue retries it when this throws. */
  async handle(key: string): Promise<{ requeueAfterMs?: number }> {
    const { metrics } = this.deps;
    const labels = { controller: CONTROLLER_NAME };
    const endTimer = metrics.reconcileTime.startTimer(labels);
    try {
      const result = await this.reconcileKey(key);
      metrics.reconcileTotal.inc({ ...labels, result: result.requeueAfterMs !== undefined ? 'requeue_after' : 'success' });
      return result;
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
    const schedule = this.deps.schedules.get(namespace, name);
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
        maxRequeueMs: this.deps.maxRequeueMs,
        notifier: this.notifier,
        notifyPollMs: this.deps.enqueue ? undefined : NOTIFY_POLL_MS,
        runMetrics: this.runMetrics,
      },
    );
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {};
  }

  /** forgetCronJob drops what we remembered about a deleted CronJob. */
  forgetCronJob(uid: string | undefined): void {
    if (uid) this.appliedGenerations.delete(uid);
  }
}
