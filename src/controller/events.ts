// Which Schedule an informer event concerns: the one place that maps Schedule, CronJob and Job events to
// work-queue keys (src/controller/keys.ts). The Manager hands these handlers to its informers.
import { LABEL_SCHEDULE, type Schedule } from '../api/schedule.js';
import type { InformerHandlers } from '../kube/informer.js';
import type { CronJob, Job } from '../types/kube.js';
import { keyOf } from './keys.js';

/** EventSink is what the handlers act on. */
export interface EventSink {
  enqueue(key: string): void;
  /** hasSchedule: whether the Schedule cache holds namespace/name. */
  hasSchedule(namespace: string, name: string): boolean;
  /** forgetCronJob: a CronJob was deleted; drop what the controller remembered about it. */
  forgetCronJob(uid: string | undefined): void;
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

/** scheduleEvents: a Schedule's own events; updates only when more than status changed. Deletion too: the controller lets go of what it held. */
export function scheduleEvents(sink: EventSink): InformerHandlers<Schedule> {
  const enqueue = (s: Schedule) => sink.enqueue(keyOf(s.metadata.namespace, s.metadata.name));
  return {
    onAdd: enqueue,
    onUpdate: (o, s) => {
      if (scheduleChanged(o, s)) enqueue(s);
    },
    onDelete: enqueue,
  };
}

/**
 * cronJobEvents: a CronJob maps to its owning Schedule, or else to a Schedule of the same name (one that is
 * waiting for a foreign CronJob to go away).
 */
export function cronJobEvents(sink: EventSink): InformerHandlers<CronJob> {
  const enqueue = (c: CronJob) => {
    const ns = c.metadata.namespace ?? '';
    const key = scheduleKeyForCronJob(c) ?? (sink.hasSchedule(ns, c.metadata.name) ? keyOf(ns, c.metadata.name) : undefined);
    if (key) sink.enqueue(key);
  };
  return {
    onAdd: enqueue,
    onUpdate: (_o, c) => enqueue(c),
    onDelete: (c) => {
      sink.forgetCronJob(c.metadata.uid);
      enqueue(c);
    },
  };
}

/** jobEvents: a Job maps to its Schedule through its label. */
export function jobEvents(sink: EventSink): InformerHandlers<Job> {
  const enqueue = (j: Job) => {
    const key = scheduleKeyForJob(j);
    if (key) sink.enqueue(key);
  };
  return { onAdd: enqueue, onUpdate: (_o, j) => enqueue(j), onDelete: enqueue };
}
