// KubeClient: every write the operator makes, behind one interface (style.md: only src/kube talks to
// the API server). The reconciler's unit tests use a recording fake of it.
import { API_VERSION, GROUP, MANAGER, PLURAL, VERSION, type Schedule, type ScheduleStatus } from '../api/schedule.js';
import { ApiError, type Rest } from './rest.js';
import type { CronJob, EventRecord, Job } from './types.js';

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
}

const APPLY_PATCH = 'application/apply-patch+yaml';

/** kubeClient implements KubeClient over the REST client. */
export function kubeClient(rest: Rest, opts: { instance: string; now?: () => Date }): KubeClient {
  const now = opts.now ?? (() => new Date());
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
      const t = now().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
        involvedObject: { apiVersion: API_VERSION, kind: 'Schedule', namespace: ref.namespace, name: ref.name, uid: ref.uid, resourceVersion: ref.resourceVersion },
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
  };
}

export { ApiError };
