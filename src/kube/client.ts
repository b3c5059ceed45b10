// KubeClient: every write the operator makes, behind one interface (docs/architecture.md: only src/kube talks to
// the API server). The reconciler's unit tests use a recording fake of it.
import { realClock, type Clock } from '../clock.js';
import { API_VERSION, GROUP, MANAGER, PLURAL, VERSION, type Schedule, type ScheduleStatus } from '../api/schedule.js';
import { toRfc3339 } from '../schedule/jobs.js';
import { ApiError, isNotFound, type Rest } from './rest.js';
import type { CronJob, EventRecord, Job, Pod } from '../types/kube.js';

export interface ObjectRef {
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export interface KubeClient {
  /** applyCronJob server-side applies the CronJob with field manager schedule-operator (force). */
  applyCronJob(cronJob: CronJob): Promise<CronJob>;
  /** updateScheduleStatus replaces the status subresource; fails with 409 when the Schedule changed since it was read. */
  updateScheduleStatus(schedule: Schedule, status: ScheduleStatus): Promise<Schedule>;
  /** recordEvent creates a core/v1 Event about the Schedule. */
  recordEvent(schedule: ObjectRef, event: EventRecord): Promise<void>;
  /** createJob creates a Job (run now); fails with AlreadyExists (409) when the name is taken. */
  createJob(job: Job): Promise<Job>;
  /** getSchedule reads a Schedule from the API server (not a cache); undefined when it does not exist. */
  getSchedule(namespace: string, name: string): Promise<Schedule | undefined>;
  /** getJob reads a Job from the API server (not a cache); undefined when it does not exist. */
  getJob(namespace: string, name: string): Promise<Job | undefined>;
  /** addJobFinalizer adds a finalizer (strategic merge; a no-op when present). A Job already gone or being deleted is left alone. */
  addJobFinalizer(job: ObjectRef, finalizer: string): Promise<void>;
  /** removeJobFinalizer removes a finalizer (strategic merge; a no-op when absent or the Job is gone). */
  removeJobFinalizer(job: ObjectRef, finalizer: string): Promise<void>;
  /**
   * addActiveJobs appends Jobs to the CronJob's status.active (a JSON patch that first tests the
   * resourceVersion, so it never overwrites the CronJob controller's own status update). Returns false when
   * the CronJob changed or went since it was read: its watch event brings another pass.
   */
  addActiveJobs(cronJob: CronJob, jobs: Job[]): Promise<boolean>;
  /** getSecretValue reads one key of a Secret, decoded; undefined when the Secret or the key is missing. */
  getSecretValue(namespace: string, name: string, key: string): Promise<Buffer | undefined>;
  /** listPods lists the pods matching a label selector in a namespace, from the API server (read only for failed runs). */
  listPods(namespace: string, labelSelector: string): Promise<Pod[]>;
}

const STRATEGIC_MERGE = 'application/strategic-merge-patch+json';

const APPLY_PATCH = 'application/apply-patch+yaml';

/** kubeClient implements KubeClient over the REST client. */
export function kubeClient(rest: Rest, opts: { instance: string; clock?: Clock }): KubeClient {
  const clock = opts.clock ?? realClock;
  return {
    async applyCronJob(cronJob) {
      const { namespace, name } = cronJob.metadata;
      return rest.request<CronJob>('PATCH', `/apis/batch/v1/namespaces/${namespace}/cronjobs/${name}`, {
        body: cronJob,
        contentType: APPLY_PATCH,
        query: { fieldManager: MANAGER, force: 'true' },
      });
    },

    async updateScheduleStatus(schedule, status) {
      const { namespace, name } = schedule.metadata;
      return rest.request<Schedule>('PUT', `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`, {
        body: { apiVersion: API_VERSION, kind: schedule.kind, metadata: schedule.metadata, spec: schedule.spec, status },
        query: { fieldManager: MANAGER },
      });
    },

    async recordEvent(ref, event) {
      const t = toRfc3339(clock.now());
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: 'Schedule',
          namespace: ref.namespace,
          name: ref.name,
          uid: ref.uid,
          resourceVersion: ref.resourceVersion,
        },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        action: event.action,
        source: { component: MANAGER },
        reportingComponent: MANAGER,
        reportingInstance: opts.instance,
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      };
      await rest.request('POST', `/api/v1/namespaces/${ref.namespace}/events`, { body });
    },

    async createJob(job) {
      return rest.request<Job>('POST', `/apis/batch/v1/namespaces/${job.metadata.namespace}/jobs`, {
        body: job,
        query: { fieldManager: MANAGER },
      });
    },

    async getSchedule(namespace, name) {
      try {
        return await rest.request<Schedule>('GET', `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async getJob(namespace, name) {
      try {
        return await rest.request<Job>('GET', `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async addJobFinalizer(ref, finalizer) {
      try {
        await rest.request('PATCH', `/apis/batch/v1/namespaces/${ref.namespace}/jobs/${ref.name}`, {
          body: { metadata: { finalizers: [finalizer], ...(ref.uid ? { uid: ref.uid } : {}) } },
          contentType: STRATEGIC_MERGE,
          query: { fieldManager: MANAGER },
        });
      } catch (err) {
        // Gone, or being deleted (no finalizer can be added then): the next pass sees it and decides.
        if (err instanceof ApiError && (err.statusCode === 404 || err.statusCode === 422 || err.statusCode === 409)) return;
        throw err;
      }
    },

    async removeJobFinalizer(ref, finalizer) {
      try {
        await rest.request('PATCH', `/apis/batch/v1/namespaces/${ref.namespace}/jobs/${ref.name}`, {
          body: { metadata: { '$deleteFromPrimitiveList/finalizers': [finalizer], ...(ref.uid ? { uid: ref.uid } : {}) } },
          contentType: STRATEGIC_MERGE,
          query: { fieldManager: MANAGER },
        });
      } catch (err) {
        if (err instanceof ApiError && (err.statusCode === 404 || err.statusCode === 409)) return; // gone (or another Job now has the name)
        throw err;
      }
    },

    async addActiveJobs(cronJob, jobs) {
      const { namespace, name, resourceVersion } = cronJob.metadata;
      const refs = jobs.map((j) => ({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace,
        name: j.metadata.name,
        uid: j.metadata.uid,
        resourceVersion: j.metadata.resourceVersion,
      }));
      const hasList = (cronJob.status?.active ?? []).length > 0;
      const ops = [
        { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
        ...(hasList
          ? refs.map((value) => ({ op: 'add', path: '/status/active/-', value }))
          : [{ op: 'add', path: '/status/active', value: refs }]),
      ];
      try {
        await rest.request('PATCH', `/apis/batch/v1/namespaces/${namespace}/cronjobs/${name}/status`, {
          body: ops,
          contentType: 'application/json-patch+json',
          query: { fieldManager: MANAGER },
        });
        return true;
      } catch (err) {
        // 409/422: the test failed (the CronJob moved on); 404: it is gone. Either way a watch event follows.
        if (err instanceof ApiError && [404, 409, 422].includes(err.statusCode)) return false;
        throw err;
      }
    },

    async getSecretValue(namespace, name, key) {
      try {
        const secret = await rest.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
        const value = secret.data?.[key];
        return value === undefined ? undefined : Buffer.from(value, 'base64');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async listPods(namespace, labelSelector) {
      const list = await rest.request<{ items?: Pod[] }>('GET', `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector } });
      return list.items ?? [];
    },
  };
}
