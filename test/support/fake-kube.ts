// A recording fake of KubeClient for reconciler unit tests: it keeps every write, in order, and answers
// like the API server would for the fields the reconciler reads back (uid, generation, resourceVersion).
import type { Schedule, ScheduleStatus } from '../../src/api/schedule.js';
import type { KubeClient, ObjectRef } from '../../src/kube/client.js';
import { ApiError } from '../../src/kube/rest.js';
import type { CronJob, EventRecord } from '../../src/kube/types.js';

export type Write =
  | { verb: 'apply'; kind: 'CronJob'; name: string; body: CronJob }
  | { verb: 'updateStatus'; kind: 'Schedule'; name: string; body: ScheduleStatus }
  | { verb: 'event'; kind: 'Event'; name: string; body: EventRecord };

export class FakeKube implements KubeClient {
  writes: Write[] = [];
  cronJobs = new Map<string, CronJob>();
  /** failNext makes the next call of a verb fail with this error. */
  failNext: Partial<Record<Write['verb'], Error>> = {};
  private rv = 100;

  async applyCronJob(cronJob: CronJob): Promise<CronJob> {
    this.maybeFail('apply');
    this.writes.push({ verb: 'apply', kind: 'CronJob', name: cronJob.metadata.name, body: structuredClone(cronJob) });
    const key = `${cronJob.metadata.namespace}/${cronJob.metadata.name}`;
    const prev = this.cronJobs.get(key);
    const specChanged = !prev || JSON.stringify(prev.spec) !== JSON.stringify(cronJob.spec);
    const stored: CronJob = structuredClone({
      ...cronJob,
      metadata: {
        ...cronJob.metadata,
        uid: prev?.metadata.uid ?? `uid-cronjob-${cronJob.metadata.name}`,
        generation: (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(++this.rv),
      },
      ...(prev?.status ? { status: prev.status } : {}),
    });
    this.cronJobs.set(key, stored);
    return structuredClone(stored);
  }

  async updateScheduleStatus(schedule: Schedule, status: ScheduleStatus): Promise<Schedule> {
    this.maybeFail('updateStatus');
    this.writes.push({ verb: 'updateStatus', kind: 'Schedule', name: schedule.metadata.name, body: structuredClone(status) });
    return { ...structuredClone(schedule), metadata: { ...schedule.metadata, resourceVersion: String(++this.rv) }, status: structuredClone(status) };
  }

  async recordEvent(ref: ObjectRef, event: EventRecord): Promise<void> {
    this.maybeFail('event');
    this.writes.push({ verb: 'event', kind: 'Event', name: ref.name, body: event });
  }

  verbs(): string[] {
    return this.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`);
  }

  clear(): void {
    this.writes = [];
  }

  private maybeFail(verb: Write['verb']): void {
    const err = this.failNext[verb];
    if (err) {
      delete this.failNext[verb];
      throw err;
    }
  }
}

export const apiError = (statusCode: number, reason: string, message: string) => new ApiError(statusCode, reason, message);
