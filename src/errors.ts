// One catalogue of coded errors (style.md, principle 7). Each has a condition reason, a message a person
// can act on, and a retry policy the reconciler obeys:
//   terminal  - nothing changes until the spec does: no requeue (a spec change re-triggers)
//   transient - the API server or network failed: retry with rate-limited backoff
//   wait      - something outside the spec must change first: requeue after a delay
export type RetryPolicy = 'terminal' | 'transient' | 'wait';

export const ErrorCode = {
  InvalidSpec: 'InvalidSpec',
  CronJobRejected: 'CronJobRejected',
  CronJobNotOwned: 'CronJobNotOwned',
  ApiUnavailable: 'ApiUnavailable',
  Conflict: 'Conflict',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const policies: Record<ErrorCode, RetryPolicy> = {
  InvalidSpec: 'terminal',
  CronJobRejected: 'terminal',
  CronJobNotOwned: 'wait',
  ApiUnavailable: 'transient',
  Conflict: 'transient',
};

/** OperatorError carries a code from the catalogue; its message is shown to people as it is. */
export class OperatorError extends Error {
  readonly retry: RetryPolicy;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OperatorError';
    this.retry = policies[code];
  }
}
