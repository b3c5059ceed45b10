// The friendly forms of a schedule, compiled to the cron expression the CronJob runs:
//   spec.preset   {frequency, at, minute, dayOfWeek, dayOfMonth}  e.g. weekdays at 18:45 -> "45 18 * * 1-5"
//   spec.interval "15m" -> "*/15 * * * *", "2h" -> "0 */2 * * *", "24h" / "1d" -> "0 0 * * *"
// Intervals must divide an hour or a day evenly, so that runs stay on the clock (a cron step restarts at
// every hour or day: "*/25" would run at :00, :25, :50 and again at :00).
import type { SchedulePreset } from '../api/schedule.js';
import type { FieldError } from '../types/field-error.js';

export type Compiled = { ok: true; cron: string } | { ok: false; errors: FieldError[] };

type PresetField = 'at' | 'minute' | 'dayOfWeek' | 'dayOfMonth';

/** Which optional preset fields each frequency reads. */
const PRESET_FIELDS: Record<SchedulePreset['frequency'], readonly PresetField[]> = {
  hourly: ['minute'],
  daily: ['at'],
  weekdays: ['at'],
  weekly: ['at', 'dayOfWeek'],
  monthly: ['at', 'dayOfMonth'],
};

/** presetToCron compiles a preset; a field the frequency does not use is an error that says which one to use. */
export function presetToCron(preset: SchedulePreset): Compiled {
  const allowed = PRESET_FIELDS[preset.frequency];
  const errors: FieldError[] = [];
  for (const field of ['at', 'minute', 'dayOfWeek', 'dayOfMonth'] as const) {
    if (preset[field] === undefined || allowed.includes(field)) continue;
    errors.push({ field: `spec.preset.${field}`, message: misplacedField(field, preset.frequency) });
  }
  if (errors.length) return { ok: false, errors };
  const [hour, minute] = (preset.at ?? '00:00').split(':').map(Number) as [number, number];
  switch (preset.frequency) {
    case 'hourly':
      return { ok: true, cron: `${preset.minute ?? 0} * * * *` };
    case 'daily':
      return { ok: true, cron: `${minute} ${hour} * * *` };
    case 'weekdays':
      return { ok: true, cron: `${minute} ${hour} * * 1-5` };
    case 'weekly':
      return { ok: true, cron: `${minute} ${hour} * * ${preset.dayOfWeek ?? 0}` };
    case 'monthly':
      return { ok: true, cron: `${minute} ${hour} ${preset.dayOfMonth ?? 1} * *` };
  }
}

function misplacedField(field: PresetField, frequency: SchedulePreset['frequency']): string {
  const uses = PRESET_FIELDS[frequency].join(' and ');
  switch (field) {
    case 'minute':
      return `minute applies only to frequency hourly; a ${frequency} preset takes its time from at: "HH:MM" (it reads ${uses})`;
    case 'at':
      return 'at applies to daily, weekdays, weekly and monthly presets; an hourly preset reads minute (0-59) instead';
    case 'dayOfWeek':
      return `dayOfWeek applies only to frequency weekly; a ${frequency} preset reads ${uses}`;
    case 'dayOfMonth':
      return `dayOfMonth applies only to frequency monthly; a ${frequency} preset reads ${uses}`;
  }
}

/** INTERVALS are the intervals that divide an hour or a day evenly, as a person writes them. */
export const INTERVALS = [
  '1m',
  '2m',
  '3m',
  '4m',
  '5m',
  '6m',
  '10m',
  '12m',
  '15m',
  '20m',
  '30m',
  '1h',
  '2h',
  '3h',
  '4h',
  '6h',
  '8h',
  '12h',
  '24h',
] as const;

const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440 };

/** intervalToCron compiles an interval such as "15m", "2h", "24h" or "1d"; others get the list that works. */
export function intervalToCron(text: string): Compiled {
  const match = /^(\d{1,5})([mhd])$/.exec(text.trim());
  const total = match ? Number(match[1]) * UNIT_MINUTES[match[2]!]! : NaN;
  if (total > 0 && total < 60 && 60 % total === 0) return { ok: true, cron: total === 1 ? '* * * * *' : `*/${total} * * * *` };
  if (total >= 60 && total < 1440 && total % 60 === 0 && 24 % (total / 60) === 0) {
    return { ok: true, cron: total === 60 ? '0 * * * *' : `0 */${total / 60} * * *` };
  }
  if (total === 1440) return { ok: true, cron: '0 0 * * *' };
  const why = match
    ? `"${text}" does not divide an hour or a day evenly, so its runs would drift against the clock`
    : `"${text}" is not an interval: write a whole number of minutes (m), hours (h) or days (d)`;
  const hint = total > 1440 ? '; for longer periods use spec.preset (weekly, monthly) or spec.schedule' : '';
  return {
    ok: false,
    errors: [{ field: 'spec.interval', message: `${why}. Intervals that work: ${INTERVALS.join(', ')} (or 1d)${hint}` }],
  };
}
