// The one catalogue of failures: for every failure a code, a condition reason, an Event type, a retry class
// and a message a person can act on. Reasons of failures are
// spelled here and nowhere else; healthy reasons live in src/api/conditions.ts. API errors become entries of
// this catalogue through `classify` (src/kube/classify.ts, beside the REST client's ApiError).
//
// Retry classes, and what a Schedule's conditions say about them (kstatus: Stalled=True reads as Failed,
// Reconciling=True as InProgress):
//   terminal   only a person can fix it (a spec change, an RBAC grant, deleting a foreign CronJob):
//              Ready=False, Stalled=True. Failures decided from the objects themselves wait for the watch
//              event the fix brings; a 403 is still returned to the work queue, because an RBAC grant sends no
//              event to a Schedule watch (the queue's backoff is capped at 5 minutes).
//   transient  the API server is busy, down or raced us: Ready=Unknown, Reconciling=True; the work queue backs off.
//   wait       nothing is wrong, the request waits for a state to pass (a run still active): no condition changes.
export type RetryClass = 'terminal' | 'transient' | 'wait';

/** ErrorCode names every failure; each code is also the reason a condition, an Event or a run request shows. */
export const ErrorCode = {
  /** InvalidSpec: the spec breaks a rule of validateSpec (the same rule book as the webhook and the CLI). */
  InvalidSpec: 'InvalidSpec',
  /** CronJobRejected: the API server refused the CronJob (or a run's Job made from its template) as invalid. */
  CronJobRejected: 'CronJobRejected',
  /** CronJobNotOwned: a CronJob of another owner holds the Schedule's name. */
  CronJobNotOwned: 'CronJobNotOwned',
  /** PermissionDenied: 403, the operator's ServiceAccount lacks a verb on a resource. */
  PermissionDenied: 'PermissionDenied',
  /** ApiUnavailable: 5xx, 429, timeouts, refused or reset connections. */
  ApiUnavailable: 'ApiUnavailable',
  /** Conflict: 409, the object changed since the cache read it; the retry reads the fresh copy. */
  Conflict: 'Conflict',
  /** StatusRejected: the API server refused the status the operator wrote (an installed CRD older than the operator). */
  StatusRejected: 'StatusRejected',
  /** InternalError: a failure that is not an API answer (a bug); retried, and worth a report. */
  InternalError: 'InternalError',
  /** RunActive: a run-now request arrived while a run was active (runs never overlap). */
  RunActive: 'RunActive',
  /** InvalidToken: a run-now or resume token that is too long or carries unprintable characters (webhook bypassed). */
  InvalidToken: 'InvalidToken',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** RUN_REFUSED is the Event reason of a refused run-now request (the refusal's own code is in status.lastRunRequest.reason). */
export const RUN_REFUSED = 'RunRefused';

/** ApiCall describes one call to the API server in the words RBAC uses, for messages that name the missing grant. */
export interface ApiCall {
  /** what: the call in words, e.g. "apply CronJob team-a/nightly". */
  what: string;
  /** verb: the RBAC verb the call needs (get, create, update, patch). */
  verb: string;
  /** resource: the RBAC resource, with its subresource (cronjobs, cronjobs/status, jobs, schedules/status, events). */
  resource: string;
  /** group: the API group ('' for the core group). */
  group: string;
  namespace: string;
}

/** Failure is one entry of the catalogue, filled in for one occurrence. */
export interface Failure {
  code: ErrorCode;
  /** reason: the PascalCase reason of the condition (and of the Event). */
  reason: string;
  eventType: 'Warning' | 'Normal';
  retry: RetryClass;
  /** message: what failed and what to do about it. */
  message: string;
  /** call: the API call that failed, for API failures. */
  call?: ApiCall | undefined;
}

/** MessageArgs are what each code's message is built from. */
export interface MessageArgs {
  InvalidSpec: { problems: string; keepsCronJob: boolean };
  CronJobRejected: { object: 'CronJob' | 'Job'; detail: string; token?: string };
  CronJobNotOwned: { namespace: string; name: string };
  PermissionDenied: { call: ApiCall };
  ApiUnavailable: { call: ApiCall; detail: string };
  Conflict: { call: ApiCall; detail: string };
  StatusRejected: { call: ApiCall; detail: string };
  InternalError: { call: ApiCall | undefined; detail: string };
  RunActive: { token: string; active: string[] };
  InvalidToken: { request: 'run' | 'resume'; problem: string };
}

interface Entry<C extends ErrorCode> {
  retry: RetryClass;
  message(args: MessageArgs[C]): string;
}

const grantFor = (c: ApiCall) =>
  `grant its ServiceAccount "${c.verb}" on "${c.resource}"${c.group ? ` in API group "${c.group}"` : ''} (the Helm chart's Role has it)`;

const CATALOGUE: { [C in ErrorCode]: Entry<C> } = {
  InvalidSpec: {
    retry: 'terminal',
    message: ({ problems, keepsCronJob }) => (keepsCronJob ? `${problems} (the CronJob keeps its last valid spec)` : problems),
  },
  CronJobRejected: {
    retry: 'terminal',
    message: ({ object, detail, token }) =>
      object === 'CronJob'
        ? `the API server rejected the CronJob: ${detail}; fix spec.jobTemplate`
        : `${token !== undefined ? `run request "${token}" refused: ` : ''}the API server rejected the Job: ${detail}`,
  },
  CronJobNotOwned: {
    retry: 'terminal',
    message: ({ namespace, name }) =>
      `CronJob ${namespace}/${name} already exists and is not owned by this Schedule: delete that CronJob or give the Schedule another name`,
  },
  PermissionDenied: {
    retry: 'terminal',
    message: ({ call }) =>
      `${call.what} failed: the operator may not ${call.verb} ${call.resource} in namespace ${call.namespace} (403 Forbidden): ${grantFor(call)}`,
  },
  ApiUnavailable: {
    retry: 'transient',
    message: ({ call, detail }) => `${call.what} failed (${detail}); retrying with backoff`,
  },
  Conflict: {
    retry: 'transient',
    message: ({ call, detail }) =>
      `${call.what} failed: the object changed since it was read (409 Conflict: ${detail}); retrying with a fresh copy`,
  },
  StatusRejected: {
    retry: 'terminal',
    message: ({ call, detail }) =>
      `${call.what} failed: the API server rejected the status (${detail}); is the installed CRD older than the operator? Apply crds/ of this release`,
  },
  InternalError: {
    retry: 'transient',
    message: ({ call, detail }) =>
      `${call ? `${call.what} failed` : 'the pass failed'} unexpectedly (${detail}); retrying with backoff, please report this if it persists`,
  },
  RunActive: {
    retry: 'wait',
    message: ({ token, active }) =>
      `run request "${token}" refused: Job ${active.join(', ')} is still running and runs never overlap (concurrencyPolicy Forbid); request again with a new token after it finishes`,
  },
  InvalidToken: {
    retry: 'terminal',
    message: ({ request, problem }) => `${request} request refused: ${problem}`,
  },
};

/** failure fills in the catalogue entry of `code`. */
export function failure<C extends ErrorCode>(code: C, args: MessageArgs[C], call?: ApiCall): Failure {
  const entry = CATALOGUE[code] as Entry<C>;
  return { code, reason: code, eventType: 'Warning', retry: entry.retry, message: entry.message(args), ...(call ? { call } : {}) };
}

/** FailedPass is thrown by a reconcile step for a failure the pass cannot get past; the work queue retries it with backoff. */
export class FailedPass extends Error {
  constructor(
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(failure.message, options);
    this.name = 'FailedPass';
  }
}
