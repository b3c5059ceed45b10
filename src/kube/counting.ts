// countWrites wraps a KubeClient so every API write is counted in
// schedule_operator_api_writes_total{verb,resource} - the number the no-op rule is measured by.
import type { Counter } from 'prom-client';
import type { KubeClient } from './client.js';

export function countWrites(inner: KubeClient, counter: Counter<'verb' | 'resource'>): KubeClient {
  const counted =
    <A extends unknown[], R>(verb: string, resource: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await fn(...args);
      counter.inc({ verb, resource });
      return result;
    };
  return {
    applyCronJob: counted('apply', 'cronjobs', inner.applyCronJob.bind(inner)),
    updateScheduleStatus: counted('update', 'schedules/status', inner.updateScheduleStatus.bind(inner)),
    recordEvent: counted('create', 'events', inner.recordEvent.bind(inner)),
    createJob: counted('create', 'jobs', inner.createJob.bind(inner)),
    addJobFinalizer: counted('patch', 'jobs', inner.addJobFinalizer.bind(inner)),
    removeJobFinalizer: counted('patch', 'jobs', inner.removeJobFinalizer.bind(inner)),
    addActiveJobs: counted('patch', 'cronjobs/status', inner.addActiveJobs.bind(inner)),
    getSchedule: inner.getSchedule.bind(inner),
    getJob: inner.getJob.bind(inner),
    getSecretValue: inner.getSecretValue.bind(inner),
    listPods: inner.listPods.bind(inner),
  };
}
