// The two questions the admission webhook asks the API server (src/webhook/kube.ts adapts them to AdmitDeps):
// would it accept this object (a server-side dry run), and may this user do that (a SubjectAccessReview).
import { MANAGER } from '../api/schedule.js';
import type { CronJob } from '../types/kube.js';
import type { Rest } from './rest.js';

export interface ReviewUser {
  username?: string | undefined;
  uid?: string | undefined;
  groups?: string[] | undefined;
  extra?: Record<string, string[]> | undefined;
}

/** ResourceAttributes of a SubjectAccessReview: e.g. { namespace, verb: 'create', group: 'batch', version: 'v1', resource: 'jobs' }. */
export interface ResourceAttributes {
  namespace?: string;
  verb: string;
  group: string;
  version?: string;
  resource: string;
  subresource?: string;
  name?: string;
}

/** dryRunCreateCronJob creates the CronJob with dryRun=All; it throws the API server's refusal (ApiError). */
export async function dryRunCreateCronJob(rest: Rest, cronJob: CronJob, timeoutMs: number): Promise<void> {
  await rest.request('POST', `/apis/batch/v1/namespaces/${cronJob.metadata.namespace}/cronjobs`, {
    body: cronJob,
    query: { dryRun: 'All', fieldManager: MANAGER },
    timeoutMs,
  });
}

/** subjectAccessReview asks whether the user may act on the resource; it throws when the review itself fails. */
export async function subjectAccessReview(
  rest: Rest,
  user: ReviewUser,
  attributes: ResourceAttributes,
  timeoutMs: number,
): Promise<{ allowed: boolean; reason?: string }> {
  const review = await rest.request<{ status?: { allowed?: boolean; denied?: boolean; reason?: string } }>(
    'POST',
    '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, resourceAttributes: attributes },
      },
      timeoutMs,
    },
  );
  return { allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) };
}
