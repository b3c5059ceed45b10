// validateSpec: the one rule book for a Schedule's spec, used by the reconciler, the admission webhook and
// the CLI. It returns every problem at once, each naming its field and the fix, and on success the cron
// expression the CronJob will run (spec.schedule as written, or the compiled preset or interval).
//   1. shape      scheduleSpecSchema (zod): types, ranges, unknown fields
//   2. one form   exactly one of spec.schedule, spec.preset, spec.interval
//   3. schedule   the grammar kube-apiserver accepts (cron.ts), minus @every, plus "must be able to fire"
//   4. timeZone   as kube-apiserver validates CronJob timeZone (timezone.ts)
//   5. frequency  the operator's minimum interval, when set
//   6. callback   spec.notify.url by the callback target rule (callback-target.ts), the part that needs no DNS
//   7. durations  spec.expectSuccessWithin (1m..366d, and no shorter than the schedule's shortest gap; a
//                 warning when it is shorter than the longest gap, e.g. a weekend), spec.runHistoryMaxAge (1m..3660d)
// Warnings do not refuse the spec: the webhook returns them to kubectl ("Warning: ..."), and they name the field.
import type { z } from 'zod';
import { scheduleSpecSchema, type ScheduleSpec } from '../api/schedule.js';
import { checkCallbackUrl } from './callback-target.js';
import { canEverFire, minGapMinutes, parseCron, runGapsMinutes, type CronSpec } from './cron.js';
import { formatDuration, parseDuration } from './duration.js';
import { intervalToCron, presetToCron, type Compiled } from './forms.js';
import { timeZoneProblem } from './timezone.js';
import type { FieldError } from '../types/field-error.js';

export type { FieldError };

export type ValidationResult =
  | { ok: true; spec: ScheduleSpec; effectiveSchedule: string; timeZone: string; warnings: FieldError[] }
  | { ok: false; errors: FieldError[] };

export interface ValidateOptions {
  /** minIntervalMinutes is the operator's limit: schedules may not run more often than this. */
  minIntervalMinutes?: number | undefined;
  /** allowPrivateCallbackTargets: --allow-private-callback-targets (spec.notify.url may name loopback, link-local and metadata addresses). */
  allowPrivateCallbackTargets?: boolean | undefined;
}

const FORMS = ['schedule', 'preset', 'interval'] as const;

export function validateSpec(spec: unknown, opts: ValidateOptions = {}): ValidationResult {
  // 1. shape
  const shaped = scheduleSpecSchema.safeParse(spec);
  const errors: FieldError[] = shaped.success ? [] : shaped.error.issues.map((issue) => issueToFieldError(issue, spec));
  const flagged = (field: string): boolean => errors.some((e) => e.field === field || e.field.startsWith(`${field}.`));
  const raw: Record<string, unknown> = shaped.success ? shaped.data : isObject(spec) ? spec : {};

  // 2. one form
  const present = FORMS.filter((f) => raw[f] !== undefined);
  if (present.length !== 1 && isObject(spec)) {
    errors.push({
      field: 'spec',
      message:
        present.length === 0
          ? 'set one of spec.schedule (a cron expression such as "0 3 * * *"), spec.preset (e.g. {frequency: daily, at: "03:00"}) or spec.interval (e.g. "15m")'
          : `set exactly one of spec.schedule, spec.preset or spec.interval; this spec sets ${present.map((f) => `spec.${f}`).join(' and ')}`,
    });
  }

  // 3. the schedule, in whichever form it came
  let compiled: { field: string; cron: string; parsed: CronSpec } | undefined;
  for (const form of present) {
    const field = `spec.${form}`;
    if (flagged(field)) continue;
    const result = compile(form, raw[form]);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const parsed = parseCron(result.cron);
    if (parsed.ok && parsed.schedule.kind === 'spec') compiled = { field, cron: result.cron, parsed: parsed.schedule };
  }

  // 4. the time zone
  const timeZone = typeof raw.timeZone === 'string' ? raw.timeZone : 'UTC';
  if (!flagged('spec.timeZone')) {
    const problem = timeZoneProblem(timeZone);
    if (problem) errors.push({ field: 'spec.timeZone', message: problem });
  }

  // 5. how often
  const limit = opts.minIntervalMinutes;
  if (compiled && limit !== undefined && limit > 0) {
    const gap = minGapMinutes(compiled.parsed);
    if (gap < limit) {
      errors.push({
        field: compiled.field,
        message: `runs as often as every ${plural(gap, 'minute')}, but this operator allows at most one run every ${plural(limit, 'minute')} (its minimum-interval setting): choose a less frequent schedule`,
      });
    }
  }

  // 6. where callbacks go
  const url = isObject(raw.notify) ? raw.notify.url : undefined;
  if (typeof url === 'string' && !flagged('spec.notify.url')) {
    const checked = checkCallbackUrl(url, opts.allowPrivateCallbackTargets === true);
    if (!checked.ok) errors.push({ field: 'spec.notify.url', message: checked.problem });
  }

  // 7. durations
  const expect = checkDuration(raw.expectSuccessWithin, 'spec.expectSuccessWithin', 366 * 86_400, '"25h" for a daily run', flagged, errors);
  const warnings: FieldError[] = [];
  if (expect !== undefined && compiled) {
    const gaps = runGapsMinutes(compiled.parsed);
    const gapSeconds = gaps.min * 60;
    const longestSeconds = gaps.max * 60;
    if (expect >= gapSeconds && expect < longestSeconds && Number.isFinite(longestSeconds)) {
      const where = gaps.maxExample ? `, ${gaps.maxExample}` : '';
      warnings.push({
        field: 'spec.expectSuccessWithin',
        message: `"${String(raw.expectSuccessWithin)}" is shorter than the longest gap between two runs (${formatDuration(longestSeconds)}${where}): the Schedule will turn Overdue in every such gap though no run failed; to avoid it, set at least ${formatDuration(longestSeconds)} plus how long a run takes, e.g. "${formatDuration(longestSeconds + 3600)}"`,
      });
    }
    if (expect < gapSeconds) {
      errors.push({
        field: 'spec.expectSuccessWithin',
        message: `"${String(raw.expectSuccessWithin)}" is shorter than the schedule's shortest gap between two runs (${formatDuration(gapSeconds)}), so the Schedule would be Overdue between ordinary runs: set at least ${formatDuration(gapSeconds)} plus how long a run takes, e.g. "${formatDuration(gapSeconds + Math.max(gapSeconds / 24, 60))}"`,
      });
    }
  }
  checkDuration(raw.runHistoryMaxAge, 'spec.runHistoryMaxAge', 3660 * 86_400, '"30d"', flagged, errors);

  if (errors.length || !shaped.success || !compiled)
    return { ok: false, errors: errors.length ? errors : [{ field: 'spec', message: 'no schedule' }] };
  return { ok: true, spec: shaped.data, effectiveSchedule: compiled.cron, timeZone, warnings };
}

/** checkDuration validates an optional duration field: its shape, at least one minute, at most `max` seconds. */
function checkDuration(
  value: unknown,
  field: string,
  max: number,
  example: string,
  flagged: (f: string) => boolean,
  errors: FieldError[],
): number | undefined {
  if (typeof value !== 'string' || flagged(field)) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    errors.push({
      field,
      message: `"${value}" is not a duration: write whole numbers of d, h, m and s, largest unit first, e.g. ${example} or "90m" (no sign, no fractions)`,
    });
  } else if (seconds < 60) {
    errors.push({ field, message: `"${value}" is shorter than one minute: write at least "1m", e.g. ${example}` });
  } else if (seconds > max) {
    errors.push({
      field,
      message: `"${value}" is longer than ${formatDuration(max)}: write at most "${formatDuration(max)}", e.g. ${example}`,
    });
  } else {
    return seconds;
  }
  return undefined;
}

function compile(form: (typeof FORMS)[number], value: unknown): Compiled {
  switch (form) {
    case 'schedule':
      return checkCron(value as string);
    case 'preset':
      return presetToCron(value as ScheduleSpec['preset'] & object);
    case 'interval':
      return intervalToCron(value as string);
  }
}

/** checkCron accepts what kube-apiserver accepts, except @every, and only schedules that can fire. */
function checkCron(expr: string): Compiled {
  const parsed = parseCron(expr);
  if (!parsed.ok) return { ok: false, errors: parsed.problems.map((message) => ({ field: 'spec.schedule', message })) };
  if (parsed.schedule.kind === 'every') {
    return {
      ok: false,
      errors: [
        {
          field: 'spec.schedule',
          message: `"${expr}" is not supported: Kubernetes counts @every from the CronJob's creation or last run, so runs drift and cannot be previewed; write spec.interval: "${parsed.schedule.text}" (clock-aligned) or a cron expression`,
        },
      ],
    };
  }
  if (!canEverFire(parsed.schedule)) {
    return {
      ok: false,
      errors: [
        {
          field: 'spec.schedule',
          message: `"${expr}" can never run: no allowed month has the allowed day (e.g. February has no 30th or 31st, April no 31st), or a field allows no value; pick a day that exists, e.g. "0 0 28 2 *"`,
        },
      ],
    };
  }
  return { ok: true, cron: expr };
}

function issueToFieldError(issue: z.core.$ZodIssue, spec: unknown): FieldError {
  const field = ['spec', ...issue.path.map(String)].join('.');
  const input = issue.path.reduce<unknown>(
    (v, key) => (isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    spec,
  );
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        field,
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling against \`kubectl explain schedule.spec\``,
      };
    case 'invalid_type':
      if (input === undefined) return { field, message: 'is required' };
      if (issue.expected === 'int') return { field, message: 'must be a whole number' };
      return {
        field,
        message: `must be ${article(issue.expected)}, not ${article(Array.isArray(input) ? 'array' : input === null ? 'null' : typeof input)}`,
      };
    case 'invalid_value':
      return { field, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'invalid_format':
      if (field === 'spec.preset.at') return { field, message: 'must be "HH:MM" on a 24-hour clock, e.g. "18:45"' };
      return { field, message: issue.message };
    case 'too_small':
      if (field === 'spec.pauseAfterConsecutiveFailures')
        return { field, message: `must be at least 1 (pause after that many failed runs in a row); remove the field to never pause` };
      if (issue.origin === 'string')
        return { field, message: Number(issue.minimum) <= 1 ? 'must not be empty' : `must have at least ${issue.minimum} characters` };
      return { field, message: `must be at least ${issue.minimum}` };
    case 'too_big':
      if (issue.origin === 'string') return { field, message: `must have at most ${issue.maximum} characters` };
      return { field, message: `must be at most ${issue.maximum}` };
    default:
      return { field, message: issue.message };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function article(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
