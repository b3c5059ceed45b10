// The Schedule API: the types are the design document (docs/architecture.md, section 1).
// The CRD in crds/ is generated from these schemas (src/api/crd.ts); a unit test fails when they drift.
// Each field's description starts with its name, so `kubectl explain schedule.spec.<field>` reads well.
import { z } from 'zod';
import type { ObjectMeta } from '../types/kube.js';

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
/** Slot outcomes (docs/ledger.md, "Slots"): every instant the schedule names gets exactly one. Suppressed is reserved. */
export const SLOT_OUTCOMES = ['Ran', 'SkippedOverlap', 'Missed', 'Suspended', 'Suppressed'] as const;
/** A duration as spec.expectSuccessWithin and spec.runHistoryMaxAge take it: whole numbers of d, h, m, s, largest unit first, e.g. "25h", "1h30m", "30d". */
export const DURATION_PATTERN = '^([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$';
/** MAX_TERMINATION_MESSAGE_BYTES bounds a failed container's termination message kept in status (UTF-8 bytes). */
export const MAX_TERMINATION_MESSAGE_BYTES = 1024;
/** RECENT_FAILURES_LIMIT bounds status.recentFailures. */
export const RECENT_FAILURES_LIMIT = 5;

export const presetSchema = z
  .object({
    frequency: z
      .enum(FREQUENCIES)
      .describe('frequency: how often the preset runs: hourly, daily, weekdays (Monday to Friday), weekly or monthly.'),
    at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .optional()
      .describe(
        'at: the local time of day "HH:MM" (24-hour clock, in spec.timeZone) for daily, weekdays, weekly and monthly presets. Default "00:00".',
      ),
    minute: z.int().min(0).max(59).optional().describe('minute: the minute past each hour (0-59) for the hourly preset. Default 0.'),
    dayOfWeek: z.int().min(0).max(6).optional().describe('dayOfWeek: the day of the weekly preset, 0 (Sunday) to 6 (Saturday). Default 0.'),
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
    name: z.string().min(1).describe("name: the Secret, in the Schedule's namespace."),
    key: z.string().min(1).describe('key: the key in the Secret whose value is the HMAC-SHA256 signing key.'),
  })
  .strict();

export const notifySchema = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe(
        'url: the http(s) endpoint that receives a CloudEvents JSON POST when a run finishes; at most 2048 characters, no user:password@. Loopback, link-local, unspecified and cloud metadata addresses (in any spelling, also inside IPv6, and names such as localhost or metadata.google.internal) are refused unless the operator runs with --allow-private-callback-targets; redirects are not followed.',
      ),
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
  .describe(
    'jobTemplate: a batch/v1 JobTemplateSpec, passed to the CronJob as it is. Its Jobs carry the label schedule-operator.io/schedule.',
  );

export const scheduleSpecSchema = z
  .object({
    schedule: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'schedule: a cron expression as Kubernetes CronJobs accept it: 5 fields (minute hour day-of-month month day-of-week), names, *, ?, ",", -, / and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly. Exactly one of schedule, preset, interval.',
      ),
    preset: presetSchema.optional(),
    interval: z
      .string()
      .max(16)
      .optional()
      .describe(
        'interval: a duration such as 15m, 2h or 24h that divides an hour or a day evenly; compiled to cron. Exactly one of schedule, preset, interval.',
      ),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .default('UTC')
      .describe(
        'timeZone: the IANA time zone the schedule is read in, e.g. Europe/Berlin (case-sensitive, as Kubernetes validates CronJob timeZone). Default UTC.',
      ),
    suspend: z.boolean().default(false).describe('suspend: pauses scheduling; the CronJob is suspended and nothing is deleted.'),
    startingDeadlineSeconds: z
      .int()
      .min(10)
      .max(86_400 * 7)
      .default(300)
      .describe(
        'startingDeadlineSeconds: how late (in seconds) a missed run may still start. Default 300; at least 10, since the CronJob controller may never start runs with a smaller deadline.',
      ),
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
    runHistoryMaxAge: z
      .string()
      .max(16)
      .optional()
      .describe(
        'runHistoryMaxAge: how long status.recentRuns keeps a run or slot (a duration such as "30d" or "12h", counted from when it finished or, for a missed or skipped slot, from the slot), besides runHistoryLimit. Default: kept until runHistoryLimit pushes it out. status.recentFailures is not aged.',
      ),
    expectSuccessWithin: z
      .string()
      .max(16)
      .optional()
      .describe(
        'expectSuccessWithin: a dead-man switch: when no run has succeeded for this long (a duration such as "25h" or "90m"), the condition Overdue turns True; the next success clears it. At least the schedule\'s shortest gap between two runs, at most 366d. Default: no check.',
      ),
    pauseAfterConsecutiveFailures: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'pauseAfterConsecutiveFailures: after this many failed runs in a row the operator suspends the CronJob (spec stays as it is) and sets Suspended=True with reason PausedAfterFailures; resume with the annotation schedule-operator.io/resume-requested-at: <new token> (schedule-operator resume NAME). Default: never pause.',
      ),
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
      {
        rule: `!has(self.expectSuccessWithin) || (self.expectSuccessWithin != '' && self.expectSuccessWithin.matches('${DURATION_PATTERN}'))`,
        message:
          'spec.expectSuccessWithin must be a positive duration in d, h, m and s, largest unit first, such as "25h", "90m" or "1h30m"',
      },
      {
        rule: `!has(self.runHistoryMaxAge) || (self.runHistoryMaxAge != '' && self.runHistoryMaxAge.matches('${DURATION_PATTERN}'))`,
        message: 'spec.runHistoryMaxAge must be a positive duration in d, h, m and s, largest unit first, such as "30d" or "12h"',
      },
    ],
  })
  .describe('spec: when and what to run.');

export const conditionSchema = z
  .object({
    type: z.string().describe('type: the condition type: Ready, Suspended, or the kstatus pair Reconciling and Stalled.'),
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
    reason: z
      .string()
      .optional()
      .describe("reason: the reason of the Job's final condition, e.g. BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy."),
    message: z.string().optional().describe("message: the message of the Job's final condition."),
    container: z
      .string()
      .optional()
      .describe(
        'container: for a failed run, the container (pod/container) whose termination is described by exitCode, containerReason and terminationMessage.',
      ),
    exitCode: z.int().optional().describe('exitCode: for a failed run, the exit code of the failed container.'),
    containerReason: z
      .string()
      .optional()
      .describe('containerReason: for a failed run, why the failed container terminated, e.g. Error, OOMKilled, DeadlineExceeded.'),
    terminationMessage: z
      .string()
      .max(MAX_TERMINATION_MESSAGE_BYTES)
      .optional()
      .describe(
        `terminationMessage: for a failed run, the failed container's termination message (its terminationMessagePath), cut to ${MAX_TERMINATION_MESSAGE_BYTES} bytes of UTF-8; never log output unless the container chose terminationMessagePolicy FallbackToLogsOnError.`,
      ),
  })
  .strict();

/** A recentRuns entry: a finished run (a Job) or a slot that did not run (no Job: outcome Missed or SkippedOverlap). */
export const runEntrySchema = runSchema
  .extend({
    jobName: z.string().optional().describe('jobName: the Job of this run; absent for a slot that did not run.'),
    outcome: z
      .enum(SLOT_OUTCOMES)
      .optional()
      .describe('outcome: for a slot without a Job, Missed or SkippedOverlap (see reason and message); absent for a finished run.'),
  })
  .strict();

export const SLOT_SEGMENT_LIMIT = 20;
export const SLOT_RUNS_LIMIT = 50;

export const slotSegmentSchema = z
  .object({
    from: z
      .string()
      .describe(
        "from: when the operator first saw the CronJob with this spec (RFC3339); the first segment also covers the time before, back to the Schedule's creation.",
      ),
    cron: z.string().describe("cron: the CronJob's schedule."),
    timeZone: z.string().describe("timeZone: the CronJob's time zone."),
    suspend: z.boolean().describe('suspend: whether the CronJob was suspended.'),
    paused: z.boolean().optional().describe('paused: the suspension came from pauseAfterConsecutiveFailures, not from spec.suspend.'),
    startingDeadlineSeconds: z.int().describe("startingDeadlineSeconds: the CronJob's startingDeadlineSeconds."),
  })
  .strict();

export const slotRunSchema = z
  .object({
    job: z.string().describe("job: the Job's name."),
    start: z.string().describe('start: when the Job was created or started, whichever is earlier (RFC3339).'),
    end: z.string().optional().describe('end: when it finished or was deleted (RFC3339); absent while it runs.'),
    scheduledTime: z
      .string()
      .optional()
      .describe('scheduledTime: the slot the CronJob controller started it for; absent for a manual run.'),
  })
  .strict();

export const slotStateSchema = z
  .object({
    watermark: z
      .string()
      .describe(
        'watermark: every slot at or before this instant (RFC3339) has its final outcome, counted in runs.missed / runs.skipped; later slots are pending.',
      ),
    segments: z
      .array(slotSegmentSchema)
      .max(SLOT_SEGMENT_LIMIT)
      .optional()
      .describe(
        `segments: the CronJob specs in force since the watermark, oldest first (at most ${SLOT_SEGMENT_LIMIT}); slots are the instants of the spec in force at each instant.`,
      ),
    runs: z
      .array(slotRunSchema)
      .max(SLOT_RUNS_LIMIT)
      .optional()
      .describe(
        `runs: when this Schedule's runs were active, kept until they end before the watermark (at most ${SLOT_RUNS_LIMIT}), so pending slots can be decided after Job garbage collection.`,
      ),
  })
  .strict();

export const pauseSchema = z
  .object({
    since: z.string().describe('since: when the operator paused the Schedule (RFC3339).'),
    reason: z.string().describe('reason: PausedAfterFailures.'),
    message: z.string().describe('message: which runs failed and how to resume.'),
    jobs: z.array(z.string()).max(20).optional().describe('jobs: the failed Jobs that led to the pause, newest first.'),
  })
  .strict();

export const lastResumeSchema = z
  .object({
    time: z.string().describe('time: when the operator handled the last resume request (RFC3339).'),
    consecutiveFailures: z
      .int()
      .describe(
        'consecutiveFailures: status.consecutiveFailures at that moment; the Schedule pauses again after spec.pauseAfterConsecutiveFailures failures more (a success starts the count afresh).',
      ),
  })
  .strict();

export const runCountsSchema = z
  .object({
    total: z.int().describe('total: finished runs counted, each Job once.'),
    succeeded: z.int().describe('succeeded: runs that succeeded.'),
    failed: z.int().describe('failed: runs that failed.'),
    manual: z.int().optional().describe('manual: finished runs started by run-now.'),
    missed: z
      .int()
      .optional()
      .describe(
        'missed: slots with outcome Missed - nothing ran and no run of this Schedule held the slot off (CronJob controller down or lagging, CronJob not applied); each slot counted once.',
      ),
    skipped: z
      .int()
      .optional()
      .describe(
        "skipped: slots with outcome SkippedOverlap - another run of this Schedule was active until the slot's deadline (concurrencyPolicy Forbid); each slot counted once.",
      ),
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
    uid: z.string().describe("uid: the Job's uid; a Job is counted at most once per uid."),
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
    pending: z
      .array(runSchema)
      .max(50)
      .optional()
      .describe(
        'pending: finished runs whose callback has not been delivered yet (oldest first); delivered at least once, also across operator restarts.',
      ),
    lastDeliveredJobUID: z
      .string()
      .optional()
      .describe('lastDeliveredJobUID: the Job (uid, the CloudEvent id) of the last delivered callback.'),
    lastDeliveredTime: z.string().optional().describe('lastDeliveredTime: when the last callback was delivered (RFC3339).'),
    lastError: z.string().optional().describe('lastError: why the last delivery attempt failed; cleared by the next success.'),
    dropped: z.int().optional().describe('dropped: callbacks given up because more than 50 were pending.'),
  })
  .strict();

export const scheduleStatusSchema = z
  .object({
    observedGeneration: z.int().optional().describe('observedGeneration: the metadata.generation this status describes.'),
    conditions: z
      .array(conditionSchema)
      .optional()
      .describe(
        'conditions: Ready (False: needs a fix, Unknown: the operator is retrying), Suspended, Reconciling (True while a pass retries after a transient API failure) and Stalled (True while only a person can fix it: InvalidSpec, CronJobRejected, CronJobNotOwned, PermissionDenied).',
      ),
    effectiveSchedule: z.string().optional().describe('effectiveSchedule: the cron expression the CronJob actually uses.'),
    timeZone: z.string().optional().describe('timeZone: the time zone the CronJob uses.'),
    cronJobName: z.string().optional().describe('cronJobName: the CronJob this Schedule owns.'),
    nextRunTime: z
      .string()
      .optional()
      .describe('nextRunTime: when the next run will start (RFC3339 UTC), as the CronJob controller computes it.'),
    upcomingRuns: z.array(z.string()).max(5).optional().describe('upcomingRuns: the next 5 run instants (RFC3339 UTC).'),
    lastScheduleTime: z.string().optional().describe('lastScheduleTime: the last slot the CronJob controller started a Job for.'),
    lastSuccessfulTime: z.string().optional().describe('lastSuccessfulTime: when a run last succeeded.'),
    lastFailureTime: z.string().optional().describe('lastFailureTime: when a run last failed.'),
    lastRun: runSchema.optional().describe('lastRun: the most recent run that finished.'),
    runs: runCountsSchema.optional().describe('runs: run counters that outlive the Jobs.'),
    consecutiveFailures: z.int().optional().describe('consecutiveFailures: failed runs since the last success.'),
    active: z.array(activeJobSchema).optional().describe('active: the Jobs running now.'),
    recentRuns: z
      .array(runEntrySchema)
      .max(100)
      .optional()
      .describe(
        'recentRuns: finished runs and missed or skipped slots, newest first, at most spec.runHistoryLimit and no older than spec.runHistoryMaxAge.',
      ),
    recentFailures: z
      .array(runSchema)
      .max(RECENT_FAILURES_LIMIT)
      .optional()
      .describe(
        `recentFailures: the last ${RECENT_FAILURES_LIMIT} failed runs, newest first, kept apart from recentRuns so successes never push them out (not aged).`,
      ),
    lastMissedTime: z.string().optional().describe('lastMissedTime: the latest slot with outcome Missed (RFC3339).'),
    slots: slotStateSchema
      .optional()
      .describe("slots: the slot ledger's memory (watermark, specs in force, run intervals); bounded. See docs/ledger.md."),
    expectSuccessSince: z
      .string()
      .optional()
      .describe(
        "expectSuccessSince: when spec.expectSuccessWithin started to apply (the Schedule's creation, or when the field was set); Overdue counts from here until a run succeeds.",
      ),
    pause: pauseSchema
      .optional()
      .describe(
        'pause: present while the Schedule is paused after spec.pauseAfterConsecutiveFailures failed runs; the CronJob is suspended until a resume request.',
      ),
    lastHandledResumeRequest: z
      .string()
      .optional()
      .describe('lastHandledResumeRequest: the resume token (annotation schedule-operator.io/resume-requested-at) last acted on.'),
    lastResume: lastResumeSchema
      .optional()
      .describe('lastResume: when the last resume request was handled, and the failure count it started from.'),
    lastHandledRunRequest: z
      .string()
      .optional()
      .describe('lastHandledRunRequest: the run-now token (annotation schedule-operator.io/run-requested-at) last acted on.'),
    lastRunRequest: runRequestSchema.optional().describe('lastRunRequest: what the operator did with the last run-now request.'),
    countedJobs: z
      .array(countedJobSchema)
      .optional()
      .describe(
        "countedJobs: the ledger's memory - Jobs already counted in runs that still exist (each keeps the finalizer schedule-operator.io/ledger until it is recorded here). See docs/ledger.md.",
      ),
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
export type RunEntry = z.output<typeof runEntrySchema>;
export type SlotOutcome = (typeof SLOT_OUTCOMES)[number];
export type SlotSegment = z.output<typeof slotSegmentSchema>;
export type SlotRun = z.output<typeof slotRunSchema>;
export type SlotState = z.output<typeof slotStateSchema>;
export type Pause = z.output<typeof pauseSchema>;
export type RunCounts = z.output<typeof runCountsSchema>;
export type CountedJob = z.output<typeof countedJobSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;
export type NotifyStatus = z.output<typeof notifyStatusSchema>;
export type NotifySpec = z.output<typeof notifySchema>;

/** A Schedule as read from the API server. `spec` is not yet validated: see validateSpec. */
export interface Schedule {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: unknown;
  status?: ScheduleStatus;
}

/** Labels and annotations of the user contract: people and tools rely on these names, so they are fixed. */
export const LABEL_SCHEDULE = `${GROUP}/schedule`;
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'schedule-operator';
export const ANNOTATION_RUN_REQUESTED_AT = `${GROUP}/run-requested-at`;
/** Resumes a Schedule paused after failures; same token rules as run-now (src/schedule/run-now.ts). */
export const ANNOTATION_RESUME_REQUESTED_AT = `${GROUP}/resume-requested-at`;
/** Jobs of a Schedule carry this finalizer until the ledger has recorded them (docs/ledger.md). */
export const FINALIZER_LEDGER = `${GROUP}/ledger`;
