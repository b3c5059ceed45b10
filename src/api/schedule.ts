// The Schedule API: the types are the design document (style.md, principle 1).
// The CRD in crds/ is generated from these schemas (src/api/crd.ts); a unit test fails when they drift.
// Each field's description starts with its name, so `kubectl explain schedule.spec.<field>` reads well.
import { z } from 'zod';

export const GROUP = 'schedule-operator.io';
export const VERSION = 'v1alpha1';
export const KIND = 'Schedule';
export const PLURAL = 'schedules';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Kubernetes limits a CronJob's name to 52 characters (its Jobs append an 11-character suffix). */
export const MAX_NAME_LENGTH = 52;

export const FREQUENCIES = ['hourly', 'daily', 'weekdays', 'weekly', 'monthly'] as const;
export const RUN_RESULTS = ['Succeeded', 'Failed'] as const;
export const TRIGGERS = ['Scheduled', 'Manual'] as const;

export const presetSchema = z
  .object({
    frequency: z.enum(FREQUENCIES).describe('frequency: how often the preset runs: hourly, daily, weekdays (Monday to Friday), weekly or monthly.'),
    at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .optional()
      .describe('at: the local time of day "HH:MM" (24-hour clock, in spec.timeZone) for daily, weekdays, weekly and monthly presets. Default "00:00".'),
    minute: z
      .int()
      .min(0)
      .max(59)
      .optional()
      .describe('minute: the minute past each hour (0-59) for the hourly preset. Default 0.'),
    dayOfWeek: z
      .int()
      .min(0)
      .max(6)
      .optional()
      .describe('dayOfWeek: the day of the weekly preset, 0 (Sunday) to 6 (Saturday). Default 0.'),
    dayOfMonth: z
      .int()
      .min(1)
      .max(31)
      .optional()
      .describe('dayOfMonth: the day of the monthly preset, 1 to 31; months without that day are skipped, as cron does. Default 1.'),
  })
  .strict()
  .describe('preset: a common schedule described in words, compiled to cron (see status.effectiveSchedule).');

export const secretKeySelectorSchema = z
  .object({
    name: z.string().min(1).describe('name: the Secret, in the Schedule\'s namespace.'),
    key: z.string().min(1).describe('key: the key in the Secret whose value is the HMAC-SHA256 signing key.'),
  })
  .strict();

export const notifySchema = z
  .object({
    url: z.string().min(1).max(2048).describe('url: the http(s) endpoint that receives a CloudEvents JSON POST when a run finishes.'),
    secretRef: secretKeySelectorSchema
      .optional()
      .describe('secretRef: the Secret key used to sign each delivery (header X-Schedule-Signature: sha256=<hex HMAC of the body>).'),
    on: z
      .array(z.enum(RUN_RESULTS))
      .max(2)
      .optional()
      .describe('on: the run results that trigger a callback. Default both Succeeded and Failed.'),
  })
  .strict()
  .describe('notify: a completion callback for finished runs.');

// The Job template is a batch/v1 JobTemplateSpec. It is not re-modelled here: the API server validates it
// by a server-side dry run of the CronJob. It is embedded as an object that keeps unknown fields.
export const jobTemplateSchema = z
  .object({
    metadata: z.record(z.string(), z.unknown()).optional(),
    spec: z.record(z.string(), z.unknown()),
  })
  .passthrough()
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('jobTemplate: a batch/v1 JobTemplateSpec, passed to the CronJob as it is. Its Jobs carry the label schedule-operator.io/schedule.');

export const scheduleSpecSchema = z
  .object({
    schedule: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('schedule: a cron expression as Kubernetes CronJobs accept it: 5 fields (minute hour day-of-month month day-of-week), names, *, ?, ",", -, / and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly. Exactly one of schedule, preset, interval.'),
    preset: presetSchema.optional(),
    interval: z
      .string()
      .max(16)
      .optional()
      .describe('interval: a duration such as 15m, 2h or 24h that divides an hour or a day evenly; compiled to cron. Exactly one of schedule, preset, interval.'),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .default('UTC')
      .describe('timeZone: the IANA time zone the schedule is read in, e.g. Europe/Berlin (case-sensitive, as Kubernetes validates CronJob timeZone). Default UTC.'),
    suspend: z.boolean().default(false).describe('suspend: pauses scheduling; the CronJob is suspended and nothing is deleted.'),
    startingDeadlineSeconds: z
      .int()
      .min(10)
      .max(86_400 * 7)
      .default(300)
      .describe('startingDeadlineSeconds: how late (in seconds) a missed run may still start. Default 300; at least 10, since the CronJob controller may never start runs with a smaller deadline.'),
    successfulJobsHistoryLimit: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('successfulJobsHistoryLimit: how many finished successful Jobs the CronJob keeps. Default 3.'),
    failedJobsHistoryLimit: z
      .int()
      .min(0)
      .max(100)
      .default(1)
      .describe('failedJobsHistoryLimit: how many failed Jobs the CronJob keeps. Default 1.'),
    runHistoryLimit: z
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('runHistoryLimit: how many runs status.recentRuns keeps, newest first. Default 10, at most 100.'),
    jobTemplate: jobTemplateSchema,
    notify: notifySchema.optional(),
  })
  .strict()
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.schedule), has(self.preset), has(self.interval)].filter(x, x).size() == 1',
        message: 'set exactly one of spec.schedule (cron), spec.preset or spec.interval',
      },
    ],
  })
  .describe('spec: when and what to run.');

export const conditionSchema = z
  .object({
    type: z.string().describe('type: the condition type, Ready or Suspended.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('status: True, False or Unknown.'),
    observedGeneration: z.int().optional().describe('observedGeneration: the generation the condition was computed from.'),
    lastTransitionTime: z.string().describe('lastTransitionTime: when status last changed (RFC3339).'),
    reason: z.string().describe('reason: a PascalCase code for the last transition.'),
    message: z.string().describe('message: what happened and, when something is wrong, what to do.'),
  })
  .strict();

export const runSchema = z
  .object({
    jobName: z.string().describe('jobName: the Job of this run.'),
    jobUID: z.string().optional().describe('jobUID: the uid of the Job.'),
    trigger: z.enum(TRIGGERS).describe('trigger: Scheduled (by the CronJob) or Manual (run-now).'),
    scheduledTime: z.string().optional().describe('scheduledTime: the slot the CronJob controller started the Job for (RFC3339).'),
    startTime: z.string().optional().describe('startTime: when the Job started (RFC3339).'),
    completionTime: z.string().optional().describe('completionTime: when the Job finished (RFC3339).'),
    durationSeconds: z.number().optional().describe('durationSeconds: completionTime minus startTime.'),
    result: z.enum(RUN_RESULTS).optional().describe('result: Succeeded or Failed; absent while the run is active.'),
    reason: z.string().optional().describe('reason: the reason of the Job\'s final condition, e.g. BackoffLimitExceeded.'),
    message: z.string().optional().describe('message: the message of the Job\'s final condition.'),
  })
  .strict();

export const runCountsSchema = z
  .object({
    total: z.int().describe('total: finished runs counted, each Job once.'),
    succeeded: z.int().describe('succeeded: runs that succeeded.'),
    failed: z.int().describe('failed: runs that failed.'),
    manual: z.int().optional().describe('manual: finished runs started by run-now.'),
    missed: z.int().optional().describe('missed: slots the CronJob controller reported as missed.'),
    skipped: z.int().optional().describe('skipped: slots skipped because a run was still active (concurrencyPolicy Forbid).'),
  })
  .strict();

export const activeJobSchema = z
  .object({
    name: z.string().describe('name: the running Job.'),
    startTime: z.string().optional().describe('startTime: when it started (RFC3339).'),
  })
  .strict();

export const countedJobSchema = z
  .object({
    name: z.string().describe('name: the Job.'),
    uid: z.string().describe('uid: the Job\'s uid; a Job is counted at most once per uid.'),
  })
  .strict();

export const RUN_REQUEST_OUTCOMES = ['Started', 'Refused'] as const;

export const runRequestSchema = z
  .object({
    token: z.string().describe('token: the value of the annotation schedule-operator.io/run-requested-at that was handled.'),
    outcome: z.enum(RUN_REQUEST_OUTCOMES).describe('outcome: Started (a Job was created) or Refused (see reason and message).'),
    jobName: z.string().optional().describe('jobName: the Job started for the request.'),
    reason: z.string().optional().describe('reason: why a request was refused, e.g. RunActive.'),
    message: z.string().optional().describe('message: what happened and, when refused, what to do.'),
    handledTime: z.string().optional().describe('handledTime: when the operator acted on the request (RFC3339).'),
  })
  .strict();

export const notifyStatusSchema = z
  .object({
    pending: z.array(runSchema).max(50).optional().describe('pending: finished runs whose callback has not been delivered yet (oldest first); delivered at least once, also across operator restarts.'),
    lastDeliveredJobUID: z.string().optional().describe('lastDeliveredJobUID: the Job (uid, the CloudEvent id) of the last delivered callback.'),
    lastDeliveredTime: z.string().optional().describe('lastDeliveredTime: when the last callback was delivered (RFC3339).'),
    lastError: z.string().optional().describe('lastError: why the last delivery attempt failed; cleared by the next success.'),
    dropped: z.int().optional().describe('dropped: callbacks given up because more than 50 were pending.'),
  })
  .strict();

export const scheduleStatusSchema = z
  .object({
    observedGeneration: z.int().optional().describe('observedGeneration: the metadata.generation this status describes.'),
    conditions: z.array(conditionSchema).optional().describe('conditions: Ready and Suspended.'),
    effectiveSchedule: z.string().optional().describe('effectiveSchedule: the cron expression the CronJob actually uses.'),
    timeZone: z.string().optional().describe('timeZone: the time zone the CronJob uses.'),
    cronJobName: z.string().optional().describe('cronJobName: the CronJob this Schedule owns.'),
    nextRunTime: z.string().optional().describe('nextRunTime: when the next run will start (RFC3339 UTC), as the CronJob controller computes it.'),
    upcomingRuns: z.array(z.string()).max(5).optional().describe('upcomingRuns: the next 5 run instants (RFC3339 UTC).'),
    lastScheduleTime: z.string().optional().describe('lastScheduleTime: the last slot the CronJob controller started a Job for.'),
    lastSuccessfulTime: z.string().optional().describe('lastSuccessfulTime: when a run last succeeded.'),
    lastFailureTime: z.string().optional().describe('lastFailureTime: when a run last failed.'),
    lastRun: runSchema.optional().describe('lastRun: the most recent run that finished.'),
    runs: runCountsSchema.optional().describe('runs: run counters that outlive the Jobs.'),
    consecutiveFailures: z.int().optional().describe('consecutiveFailures: failed runs since the last success.'),
    active: z.array(activeJobSchema).optional().describe('active: the Jobs running now.'),
    recentRuns: z.array(runSchema).max(100).optional().describe('recentRuns: the last spec.runHistoryLimit runs, newest first.'),
    lastHandledRunRequest: z.string().optional().describe('lastHandledRunRequest: the run-now token (annotation schedule-operator.io/run-requested-at) last acted on.'),
    lastRunRequest: runRequestSchema.optional().describe('lastRunRequest: what the operator did with the last run-now request.'),
    countedJobs: z.array(countedJobSchema).optional().describe('countedJobs: the ledger\'s memory - Jobs already counted in runs that still exist (each keeps the finalizer schedule-operator.io/ledger until it is recorded here). See docs/ledger.md.'),
    notify: notifyStatusSchema.optional().describe('notify: delivery state of the completion callbacks (spec.notify).'),
  })
  .strict()
  .describe('status: what the operator observed; users never write it.');

export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>;
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;
export type SchedulePreset = z.output<typeof presetSchema>;
export type ScheduleStatus = z.output<typeof scheduleStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type Run = z.output<typeof runSchema>;
export type RunCounts = z.output<typeof runCountsSchema>;
export type CountedJob = z.output<typeof countedJobSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;
export type NotifyStatus = z.output<typeof notifyStatusSchema>;
export type NotifySpec = z.output<typeof notifySchema>;

/** ObjectMeta fields the operator reads. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

/** A Schedule as read from the API server. `spec` is not yet validated: see validateSpec. */
export interface Schedule {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: unknown;
  status?: ScheduleStatus;
}

/** Labels and annotations of the contract (api.md). */
export const LABEL_SCHEDULE = `${GROUP}/schedule`;
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'schedule-operator';
export const ANNOTATION_RUN_REQUESTED_AT = `${GROUP}/run-requested-at`;
/** Resumes a Schedule paused after failures; same token rules as run-now (src/schedule/run-now.ts). */
export const ANNOTATION_RESUME_REQUESTED_AT = `${GROUP}/resume-requested-at`;
/** Jobs of a Schedule carry this finalizer until the ledger has recorded them (docs/ledger.md). */
export const FINALIZER_LEDGER = `${GROUP}/ledger`;
