// The coded failures the reconciler reports as a Ready=False reason (style.md, principle 7); InvalidSpec is
// Reason.InvalidSpec in src/api/conditions.ts. How each is retried is decided where it is caught, in
// src/controller/reconcile.ts:
//   CronJobRejected - the API server refused the object (isInvalid): terminal until the spec changes
//   CronJobNotOwned - a CronJob of another owner holds the name: waits for that CronJob's deletion (a watch event)
// Any other API failure is thrown and retried by the work queue with per-key backoff.
export const ErrorCode = {
  CronJobRejected: 'CronJobRejected',
  CronJobNotOwned: 'CronJobNotOwned',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
