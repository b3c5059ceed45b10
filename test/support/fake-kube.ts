// A recording fake of KubeClient for reconciler unit tests: it keeps every write, in order, and answers
// like the API server would for the fields the reconciler reads back (uid, generation, resourceVersion).
import type { Schedule, ScheduleStatus } from '../../src/api/schedule.js';
import type { KubeClient, ObjectRef } from '../../src/kube/client.js';
import { ApiError } from '../../src/kube/rest.js';
import type { CronJob, EventRecord, Job, Pod } from '../../src/types/kube.js';

export type Write =
  | { verb: 'apply'; kind: 'CronJob'; name: string; body: CronJob }
  | { verb: 'updateStatus'; kind: 'Schedule'; name: string; body: ScheduleStatus }
  | { verb: 'event'; kind: 'Event'; name: string; body: EventRecord }
  | { verb: 'create'; kind: 'Job'; name: string; body: Job }
  | { verb: 'addFinalizer'; kind: 'Job'; name: string; body: string }
  | { verb: 'removeFinalizer'; kind: 'Job'; name: string; body: string }
  | { verb: 'addActive'; kind: 'CronJob'; name: string; body: string[] };

export class FakeKube implements KubeClient {
  writes: Write[] = [];
  cronJobs = new Map<string, CronJob>();
  /** failNext makes the next call of a verb (or of getJob or listPods, reads) fail with this error. */
  failNext: Partial<Record<Write['verb'] | 'getJob' | 'listPods', Error>> = {};
  /** pods holds pods by namespace; listPods matches "key=value" selectors against their labels. */
  pods = new Map<string, Pod[]>();
  /** podLists records every listPods call as "namespace selector". */
  podLists: string[] = [];
  /** schedules is the API server's truth about Schedules, for getSchedule (tests put what the server holds). */
  schedules = new Map<string, Schedule>();
  /** scheduleReads counts getSchedule calls. */
  scheduleReads = 0;
  /** jobs is the API server's truth about Jobs (getJob reads it; createJob and finalizer patches change it). */
  jobs = new Map<string, Job>();
  /** secrets holds Secret values by "namespace/name/key". */
  secrets = new Map<string, string>();
  /** checkResourceVersion makes updateScheduleStatus answer 409 when the Schedule's resourceVersion is stale. */
  checkResourceVersion = false;
  private scheduleRvs = new Map<string, string>();
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
    const key = `${schedule.metadata.namespace}/${schedule.metadata.name}`;
    const stored = this.scheduleRvs.get(key);
    if (this.checkResourceVersion && stored !== undefined && stored !== schedule.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on schedules "${schedule.metadata.name}": the object has been modified`,
      );
    }
    const rv = String(++this.rv);
    this.scheduleRvs.set(key, rv);
    this.writes.push({ verb: 'updateStatus', kind: 'Schedule', name: schedule.metadata.name, body: structuredClone(status) });
    return { ...structuredClone(schedule), metadata: { ...schedule.metadata, resourceVersion: rv }, status: structuredClone(status) };
  }

  async recordEvent(ref: ObjectRef, event: EventRecord): Promise<void> {
    this.maybeFail('event');
    this.writes.push({ verb: 'event', kind: 'Event', name: ref.name, body: event });
  }

  async createJob(job: Job): Promise<Job> {
    this.maybeFail('create');
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    if (this.jobs.has(key)) throw new ApiError(409, 'AlreadyExists', `jobs.batch "${job.metadata.name}" already exists`);
    this.writes.push({ verb: 'create', kind: 'Job', name: job.metadata.name, body: structuredClone(job) });
    const stored: Job = structuredClone({
      ...job,
      metadata: { ...job.metadata, uid: `uid-job-${job.metadata.name}`, resourceVersion: String(++this.rv) },
    });
    this.jobs.set(key, stored);
    return structuredClone(stored);
  }

  /** serverHas makes `schedule` the API server's current copy (another client wrote it): status writes over an older resourceVersion then get 409. */
  serverHas(schedule: Schedule): void {
    const key = `${schedule.metadata.namespace}/${schedule.metadata.name}`;
    this.schedules.set(key, structuredClone(schedule));
    if (schedule.metadata.resourceVersion) this.scheduleRvs.set(key, schedule.metadata.resourceVersion);
  }

  async getSchedule(namespace: string, name: string): Promise<Schedule | undefined> {
    this.scheduleReads++;
    const s = this.schedules.get(`${namespace}/${name}`);
    return s ? structuredClone(s) : undefined;
  }

  async getJob(namespace: string, name: string): Promise<Job | undefined> {
    this.maybeFail('getJob');
    const job = this.jobs.get(`${namespace}/${name}`);
    return job ? structuredClone(job) : undefined;
  }

  async addJobFinalizer(ref: ObjectRef, finalizer: string): Promise<void> {
    this.maybeFail('addFinalizer');
    this.writes.push({ verb: 'addFinalizer', kind: 'Job', name: ref.name, body: finalizer });
    const job = this.jobs.get(`${ref.namespace}/${ref.name}`);
    if (job && !job.metadata.finalizers?.includes(finalizer)) job.metadata.finalizers = [...(job.metadata.finalizers ?? []), finalizer];
  }

  async removeJobFinalizer(ref: ObjectRef, finalizer: string): Promise<void> {
    this.maybeFail('removeFinalizer');
    this.writes.push({ verb: 'removeFinalizer', kind: 'Job', name: ref.name, body: finalizer });
    const key = `${ref.namespace}/${ref.name}`;
    const job = this.jobs.get(key);
    if (!job) return;
    job.metadata.finalizers = (job.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (job.metadata.deletionTimestamp && job.metadata.finalizers.length === 0) this.jobs.delete(key); // the API server deletes it now
  }

  async addActiveJobs(cronJob: CronJob, jobs: Job[]): Promise<boolean> {
    this.maybeFail('addActive');
    this.writes.push({ verb: 'addActive', kind: 'CronJob', name: cronJob.metadata.name, body: jobs.map((j) => j.metadata.name) });
    const stored = this.cronJobs.get(`${cronJob.metadata.namespace}/${cronJob.metadata.name}`);
    if (stored) {
      const active = stored.status?.active ?? [];
      stored.status = {
        ...stored.status,
        active: [...active, ...jobs.map((j) => ({ name: j.metadata.name, namespace: j.metadata.namespace, uid: j.metadata.uid }))],
      };
    }
    return true;
  }

  async getSecretValue(namespace: string, name: string, key: string): Promise<Buffer | undefined> {
    const v = this.secrets.get(`${namespace}/${name}/${key}`);
    return v === undefined ? undefined : Buffer.from(v);
  }

  async listPods(namespace: string, labelSelector: string): Promise<Pod[]> {
    this.maybeFail('listPods');
    this.podLists.push(`${namespace} ${labelSelector}`);
    const [k, v] = labelSelector.split('=');
    return structuredClone((this.pods.get(namespace) ?? []).filter((p) => p.metadata.labels?.[k!] === v));
  }

  verbs(): string[] {
    return this.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`);
  }

  clear(): void {
    this.writes = [];
  }

  private maybeFail(verb: Write['verb'] | 'getJob' | 'listPods'): void {
    const err = this.failNext[verb];
    if (err) {
      delete this.failNext[verb];
      throw err;
    }
  }
}

export const apiError = (statusCode: number, reason: string, message: string) => new ApiError(statusCode, reason, message);
