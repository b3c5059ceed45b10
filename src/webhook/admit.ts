// The validating admission webhook's decision, as a pure function of the AdmissionReview and two
// questions to the API server (injected): the same rule book as the operator (validateSpec), then, in
// parallel, a server-side dry run of the CronJob the Schedule would own and a SubjectAccessReview.
//
//   1. only Schedule CREATE/UPDATE are judged; a Schedule being deleted is admitted (finalizer removal never
//      blocks), and so is an update that leaves spec and the request tokens alone (labels, other annotations)
//   2. validateSpec and the token rule: every problem, each naming its field and the fix
//   3. the confused-deputy guard: the requesting user must be allowed to create Jobs in the namespace - to
//      create or change a Schedule, and to set a new run-now or resume token (both start Jobs, so they need
//      what `kubectl create job --from=cronjob/...` needs); removing a token needs nothing
//   4. the dry run: the API server validates the CronJob (and so the jobTemplate) exactly as it will be applied
//      (only when spec is new or changed)
import { isDeepStrictEqual } from 'node:util';
import { ANNOTATION_RESUME_REQUESTED_AT, ANNOTATION_RUN_REQUESTED_AT, GROUP, KIND } from '../api/schedule.js';
import { desiredCronJob } from '../schedule/desired.js';
import { requestTokenProblem } from '../schedule/tokens.js';
import { validateSpec } from '../schedule/validate.js';
import type { CronJob } from '../types/kube.js';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string;
  name?: string;
  userInfo: UserInfo;
  object?: {
    metadata?: {
      name?: string;
      generateName?: string;
      namespace?: string;
      uid?: string;
      deletionTimestamp?: string;
      annotations?: Record<string, string>;
    };
    spec?: unknown;
  } | null;
  oldObject?: { metadata?: { annotations?: Record<string, string> }; spec?: unknown } | null;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

/** DryRunResult: the API server accepted the CronJob, refused it as invalid, or could not be asked. */
export type DryRunResult = { ok: true } | { ok: false; invalid: true; causes: string[] } | { ok: false; invalid: false; message: string };

export interface AccessResult {
  allowed: boolean;
  /** reason is the authorizer's explanation, if it gave one. */
  reason?: string;
  /** error says the review itself failed (the API server could not be asked). */
  error?: string;
}

export interface AdmitDeps {
  /** dryRunCronJob creates the CronJob with dryRun=All and reports what the API server said. */
  dryRunCronJob(cronJob: CronJob): Promise<DryRunResult>;
  /** canCreateJobs asks (SubjectAccessReview) whether the user may create batch/v1 Jobs in the namespace. */
  canCreateJobs(user: UserInfo, namespace: string): Promise<AccessResult>;
  /** checkJobPermission turns the confused-deputy guard on (the chart's default). */
  checkJobPermission: boolean;
  minIntervalMinutes?: number | undefined;
  /** allowPrivateCallbackTargets: --allow-private-callback-targets, as the notifier has it. */
  allowPrivateCallbackTargets?: boolean | undefined;
}

const allow = (uid: string, warnings?: string[]): AdmissionResponse => ({ uid, allowed: true, ...(warnings?.length ? { warnings } : {}) });
const deny = (uid: string, code: number, reason: string, message: string): AdmissionResponse => ({
  uid,
  allowed: false,
  status: { code, reason, message },
});

/** admit answers one AdmissionReview (v1) with the review the API server expects back. */
export async function admit(review: AdmissionReview, deps: AdmitDeps): Promise<AdmissionReview> {
  const request = review.request;
  if (!request) throw new Error('AdmissionReview without a request');
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: await decide(request, deps) };
}

async function decide(req: AdmissionRequest, deps: AdmitDeps): Promise<AdmissionResponse> {
  // 1. what is judged
  if (req.kind.group !== GROUP || req.kind.kind !== KIND) return allow(req.uid);
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow(req.uid);
  const object = req.object ?? {};
  if (object.metadata?.deletionTimestamp) return allow(req.uid);
  const specChanged = req.operation === 'CREATE' || !isDeepStrictEqual(object.spec, req.oldObject?.spec);
  const tokens = newTokens(req);
  if (!specChanged && tokens.length === 0) return allow(req.uid);

  const namespace = req.namespace ?? object.metadata?.namespace ?? 'default';
  const name = object.metadata?.name ?? req.name ?? '';
  const what = `Schedule "${namespace}/${name || object.metadata?.generateName || ''}"`;

  // 2. the rule book (spec only when it is new or changed: a token alone never fails on an old spec)
  const problems: string[] = [];
  for (const t of tokens) {
    const problem = requestTokenProblem(t.annotation, t.token);
    if (problem) problems.push(problem);
  }
  const validation = specChanged
    ? validateSpec(object.spec, {
        minIntervalMinutes: deps.minIntervalMinutes,
        allowPrivateCallbackTargets: deps.allowPrivateCallbackTargets,
      })
    : undefined;
  if (validation && !validation.ok)
    problems.push(...validation.errors.map((e: { field: string; message: string }) => `${fieldPath(e.field)}: ${e.message}`));
  if (problems.length) return deny(req.uid, 422, 'Invalid', `${what} is invalid: ${problems.join('; ')}`);

  // 3 and 4, in parallel: both only read.
  const cronJob = validation?.ok ? dryRunCronJobFor(namespace, validation.spec, validation.effectiveSchedule) : undefined;
  const [access, dryRun] = await Promise.all([
    deps.checkJobPermission ? deps.canCreateJobs(req.userInfo, namespace) : Promise.resolve<AccessResult>({ allowed: true }),
    cronJob ? deps.dryRunCronJob(cronJob) : Promise.resolve<DryRunResult>({ ok: true }),
  ]);

  const user = req.userInfo.username ?? 'the requesting user';
  if (access.error) {
    return deny(
      req.uid,
      500,
      'InternalError',
      `${what} was not admitted: the webhook could not check whether ${user} may create Jobs in namespace "${namespace}" (${access.error}); try again, or ask an administrator to look at the schedule-operator logs`,
    );
  }
  if (!access.allowed) {
    const authorizer = access.reason ? ` (authorizer: ${access.reason})` : '';
    // An UPDATE that sets a token is a run (or resume) request, whatever else it changes: say so.
    if (req.operation === 'UPDATE' && tokens.length) {
      const t = tokens[0]!;
      const action =
        t.annotation === ANNOTATION_RUN_REQUESTED_AT ? 'run-now starts a Job' : 'resuming a paused Schedule lets it start Jobs again';
      return deny(
        req.uid,
        403,
        'Forbidden',
        `${what}: setting metadata.annotations["${t.annotation}"] is refused: user "${user}" may not create jobs in namespace "${namespace}": ` +
          `${action}, so it needs the same right as kubectl create job --from=cronjob/${name}. ` +
          `Ask for permission to create jobs.batch in "${namespace}" (a Role with verbs [create] on jobs), or have someone who has it make the request${authorizer}`,
      );
    }
    return deny(
      req.uid,
      403,
      'Forbidden',
      `${what} is refused: user "${user}" may not create Jobs in namespace "${namespace}", and a Schedule runs its spec.jobTemplate as Jobs there. ` +
        `Ask for permission to create jobs.batch in "${namespace}" (a Role with verbs [create] on jobs), or have someone who has it apply the Schedule${authorizer}`,
    );
  }

  if (!dryRun.ok && dryRun.invalid) {
    return deny(
      req.uid,
      422,
      'Invalid',
      `${what} is invalid: the API server refuses the CronJob it would run: ${dryRun.causes.join('; ')}; fix spec.jobTemplate (it is a batch/v1 JobTemplateSpec)`,
    );
  }
  const warnings = [
    ...(validation?.ok ? validation.warnings.map((w) => `${fieldPath(w.field)}: ${w.message}`) : []),
    ...(!dryRun.ok
      ? [
          `the CronJob could not be checked by a server-side dry run (${dryRun.message}); the operator reports problems in status.conditions`,
        ]
      : []),
  ];
  return allow(req.uid, warnings);
}

/** TOKEN_ANNOTATIONS ask the operator to act (start a Job, resume a paused Schedule) once per new value. */
const TOKEN_ANNOTATIONS = [ANNOTATION_RUN_REQUESTED_AT, ANNOTATION_RESUME_REQUESTED_AT] as const;

/**
 * newTokens are the request tokens this request sets: on CREATE every one it carries, on UPDATE those whose
 * value changed. Removing a token (or setting it empty, which asks nothing) is not a request.
 */
export function newTokens(req: AdmissionRequest): Array<{ annotation: string; token: string }> {
  const now = req.object?.metadata?.annotations ?? {};
  const before = req.operation === 'UPDATE' ? (req.oldObject?.metadata?.annotations ?? {}) : {};
  return TOKEN_ANNOTATIONS.filter((a) => typeof now[a] === 'string' && now[a] !== '' && now[a] !== before[a]).map((a) => ({
    annotation: a,
    token: now[a]!,
  }));
}

/** fieldPath names a spec field the way kubectl users write it (validateSpec may omit the "spec." prefix). */
export function fieldPath(field: string): string {
  if (field === '' || field === 'spec') return 'spec';
  return field.startsWith('spec.') || field.startsWith('metadata.') ? field : `spec.${field}`;
}

/**
 * dryRunCronJobFor is the CronJob the operator would apply, under a generated name: a dry-run create
 * under the real name would collide with the existing CronJob on update, and the Schedule's uid (for the
 * ownerReference) does not exist yet on create. Name rules are the CRD's (metadata.name <= 52).
 */
export function dryRunCronJobFor(namespace: string, spec: Parameters<typeof desiredCronJob>[1], effectiveSchedule: string): CronJob {
  const cronJob = desiredCronJob(
    { name: 'admission-dry-run', namespace, uid: '00000000-0000-0000-0000-000000000000' },
    spec,
    effectiveSchedule,
  );
  const { name: _name, ownerReferences: _owners, ...metadata } = cronJob.metadata;
  return { ...cronJob, metadata: { ...metadata, generateName: 'schedule-admission-' } as unknown as CronJob['metadata'] };
}
