// classify turns what an API call threw into an entry of the failure catalogue (src/errors.ts), and `calls`
// names each call the reconciler makes in RBAC's words, so a 403 says which verb on which resource is missing.
import { GROUP } from '../api/schedule.js';
import { ErrorCode, failure, type ApiCall, type Failure } from '../errors.js';
import { ApiError, isInvalid } from './rest.js';

const ref = (namespace: string, name: string) => `${namespace}/${name}`;

/** calls describes each API call of the reconciler (the verb and resource its RBAC rule must grant). */
export const calls = {
  applyCronJob: (namespace: string, name: string): ApiCall => ({
    what: `apply CronJob ${ref(namespace, name)}`,
    verb: 'patch',
    resource: 'cronjobs',
    group: 'batch',
    namespace,
  }),
  addActiveJobs: (namespace: string, name: string): ApiCall => ({
    what: `list manual runs in the status of CronJob ${ref(namespace, name)}`,
    verb: 'patch',
    resource: 'cronjobs/status',
    group: 'batch',
    namespace,
  }),
  getJob: (namespace: string, name: string): ApiCall => ({
    what: `read Job ${ref(namespace, name)}`,
    verb: 'get',
    resource: 'jobs',
    group: 'batch',
    namespace,
  }),
  createJob: (namespace: string, name: string): ApiCall => ({
    what: `create run-now Job ${ref(namespace, name)}`,
    verb: 'create',
    resource: 'jobs',
    group: 'batch',
    namespace,
  }),
  addJobFinalizer: (namespace: string, name: string): ApiCall => ({
    what: `add the ledger finalizer to Job ${ref(namespace, name)}`,
    verb: 'patch',
    resource: 'jobs',
    group: 'batch',
    namespace,
  }),
  removeJobFinalizer: (namespace: string, name: string): ApiCall => ({
    what: `remove the ledger finalizer from Job ${ref(namespace, name)}`,
    verb: 'patch',
    resource: 'jobs',
    group: 'batch',
    namespace,
  }),
  updateScheduleStatus: (namespace: string, name: string): ApiCall => ({
    what: `write the status of Schedule ${ref(namespace, name)}`,
    verb: 'update',
    resource: 'schedules/status',
    group: GROUP,
    namespace,
  }),
  listPods: (namespace: string, job: string): ApiCall => ({
    what: `list the pods of failed Job ${ref(namespace, job)}`,
    verb: 'list',
    resource: 'pods',
    group: '',
    namespace,
  }),
  recordEvent: (namespace: string, name: string): ApiCall => ({
    what: `record an Event about Schedule ${ref(namespace, name)}`,
    verb: 'create',
    resource: 'events',
    group: '',
    namespace,
  }),
} as const;

/** NETWORK_CODES are the socket errors that mean the API server could not be reached or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

/** FORBIDDEN: the API server's 403 message names the verb, resource and group it refused. */
const FORBIDDEN = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"/;

/** classify says which catalogue entry an error thrown by `call` is. */
export function classify(err: unknown, call: ApiCall): Failure {
  if (err instanceof ApiError) {
    const detail = `${err.statusCode} ${err.reason}: ${err.message.slice(0, 300)}`;
    if (err.statusCode === 403) {
      // The server's words win: they name exactly what it refused (a server-side apply that creates needs more).
      const m = FORBIDDEN.exec(err.message);
      const refused = m ? { ...call, verb: m[1]!, resource: m[2]!, group: m[3]! } : call;
      return failure(ErrorCode.PermissionDenied, { call: refused }, refused);
    }
    if (err.statusCode === 409) return failure(ErrorCode.Conflict, { call, detail: err.message.slice(0, 300) }, call);
    if (isInvalid(err)) {
      if (call.resource === 'cronjobs') return failure(ErrorCode.CronJobRejected, { object: 'CronJob', detail: err.message }, call);
      if (call.resource === 'jobs' && call.verb === 'create')
        return failure(ErrorCode.CronJobRejected, { object: 'Job', detail: err.message }, call);
      if (call.resource === 'schedules/status') return failure(ErrorCode.StatusRejected, { call, detail }, call);
    }
    return failure(ErrorCode.ApiUnavailable, { call, detail }, call);
  }
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if ((typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) || /timed out|socket hang up/i.test(message)) {
    return failure(ErrorCode.ApiUnavailable, { call, detail: typeof e.code === 'string' ? `${e.code}: ${message}` : message }, call);
  }
  return failure(ErrorCode.InternalError, { call, detail: message }, call);
}
