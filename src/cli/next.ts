// `schedule-operator next <schedule> [--time-zone Z] [--from RFC3339] [--count N]`: the next run instants,
// one RFC3339 UTC time per line, exactly as the CronJob controller will start them (nextRuns). The schedule
// goes through the same rule book as a Schedule's spec (validateSpec), so what this command accepts the
// operator accepts. Bad input: one line on stderr naming the problem and the fix, exit status 2, no stdout.
import type { Io } from '../types/io.js';
import type { SchedulePreset } from '../api/schedule.js';
import { toRfc3339 } from '../schedule/jobs.js';
import { nextRuns } from '../schedule/next.js';
import { validateSpec } from '../schedule/validate.js';

export const NEXT_USAGE = `usage: schedule-operator next <schedule> [--time-zone Z] [--from RFC3339] [--count N]

Prints the next N run instants (default 5), one RFC3339 UTC time per line, as the Kubernetes CronJob
controller starts them - daylight-saving gaps skipped, overlaps run twice.

<schedule> is one of (quote it, or pass its words as separate arguments):
  a cron expression        "30 2 * * *", "*/15 9-17 * * MON-FRI", "@daily"
  an interval              15m, 2h, 24h, 1d  (must divide an hour or a day evenly)
  a preset                 hourly [:MM]            e.g. "hourly :15"
                           daily [HH:MM]           e.g. "daily 03:30"
                           weekdays [HH:MM]        e.g. "weekdays 18:45"  (Monday to Friday)
                           weekly [DAY] [HH:MM]    e.g. "weekly mon 09:00" (DAY: sun..sat or 0-6)
                           monthly [D] [HH:MM]     e.g. "monthly 15 06:00" (D: 1-31)

  --time-zone Z   IANA time zone, case-sensitive as in Kubernetes (default UTC)
  --from T        start after this RFC3339 instant (default now)
  --count N       how many runs, 1-1000 (default 5)`;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** How the fields of a Schedule's spec appear on this command line (the schedule itself needs no prefix). */
const CLI_NAMES: Record<string, string> = { 'spec.timeZone': '--time-zone: ', 'spec.schedule': '', 'spec.interval': '', spec: '' };

class UsageError extends Error {}

export function runNext(argv: string[], io: Io): number {
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      io.stdout(NEXT_USAGE);
      return 0;
    }
    const validation = validateSpec({ ...args.form, timeZone: args.timeZone, jobTemplate: { spec: {} } });
    if (!validation.ok) {
      const problems = validation.errors.map(
        (e) => `${CLI_NAMES[e.field] ?? `${e.field.replace(/^spec\.(preset\.)?/, '')}: `}${e.message}`,
      );
      throw new UsageError(`${JSON.stringify(args.text)}${args.timeZone === 'UTC' ? '' : ` in ${args.timeZone}`}: ${problems.join('; ')}`);
    }
    const runs = nextRuns(validation.effectiveSchedule, validation.timeZone, args.from ?? io.now(), args.count);
    for (const run of runs) io.stdout(toRfc3339(run));
    if (runs.length < args.count)
      io.stderr(
        `schedule-operator next: only ${runs.length} run(s) within five years of each other; the CronJob controller stops looking there too`,
      );
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`schedule-operator next: ${err.message}`);
    return 2;
  }
}

interface NextArgs {
  text: string;
  form: { schedule: string } | { interval: string } | { preset: SchedulePreset };
  timeZone: string;
  from: Date | undefined;
  count: number;
}

function parseArgs(argv: string[]): NextArgs | 'help' {
  const words: string[] = [];
  let timeZone = 'UTC';
  let from: Date | undefined;
  let count = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (!arg.startsWith('--') || arg === '--') {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const v = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (v === undefined) throw new UsageError(`${flag} needs a value; see \`schedule-operator next --help\``);
      return v;
    };
    switch (flag) {
      case '--time-zone':
        timeZone = value();
        break;
      case '--from': {
        const v = value();
        if (!isRfc3339(v)) throw new UsageError(`--from "${v}" is not an RFC3339 instant: write e.g. 2024-10-27T00:30:00Z`);
        from = new Date(v);
        break;
      }
      case '--count': {
        const v = value();
        count = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(count >= 1 && count <= 1000)) throw new UsageError(`--count "${v}" must be a whole number from 1 to 1000`);
        break;
      }
      default:
        throw new UsageError(`unknown flag ${flag}: the flags are --time-zone, --from and --count (see \`schedule-operator next --help\`)`);
    }
  }
  const text = words.join(' ').trim();
  if (!text)
    throw new UsageError(
      'the schedule is missing: write e.g. `schedule-operator next "30 2 * * *"`, `next 15m` or `next "weekdays 18:45"`',
    );
  return { text, form: readForm(text), timeZone, from, count };
}

/** readForm decides which form of schedule the text is: an interval, a preset, or (otherwise) cron. */
function readForm(text: string): NextArgs['form'] {
  if (/^\d+[mhd]$/.test(text)) return { interval: text };
  const [first, ...rest] = text.split(/\s+/);
  switch (first!.toLowerCase()) {
    case 'hourly': {
      const [minute, ...extra] = rest;
      if (extra.length || (minute !== undefined && !/^:?\d{1,2}$/.test(minute)))
        throw new UsageError(`"${text}": write "hourly" or "hourly :MM", e.g. "hourly :15"`);
      return { preset: { frequency: 'hourly', ...(minute !== undefined ? { minute: Number(minute.replace(':', '')) } : {}) } };
    }
    case 'daily':
    case 'weekdays':
      return { preset: { frequency: first!.toLowerCase() as 'daily' | 'weekdays', ...at(text, rest) } };
    case 'weekly': {
      const day = rest.length && !rest[0]!.includes(':') ? rest.shift()! : undefined;
      const dayOfWeek = day === undefined ? undefined : /^[0-6]$/.test(day) ? Number(day) : DAYS.indexOf(day.toLowerCase().slice(0, 3));
      if (dayOfWeek === -1 || (day !== undefined && !/^\d$/.test(day) && !/^(sun|mon|tue|wed|thu|fri|sat)[a-z]*$/i.test(day))) {
        throw new UsageError(`"${text}": the day of a weekly preset is sun..sat or 0-6 (0 = Sunday), e.g. "weekly mon 09:00"`);
      }
      return { preset: { frequency: 'weekly', ...(dayOfWeek !== undefined ? { dayOfWeek } : {}), ...at(text, rest) } };
    }
    case 'monthly': {
      const day = rest.length && !rest[0]!.includes(':') ? rest.shift()! : undefined;
      if (day !== undefined && !/^\d{1,2}$/.test(day))
        throw new UsageError(`"${text}": the day of a monthly preset is 1-31, e.g. "monthly 15 06:00"`);
      return { preset: { frequency: 'monthly', ...(day !== undefined ? { dayOfMonth: Number(day) } : {}), ...at(text, rest) } };
    }
    default:
      return { schedule: text };
  }
}

/** isRfc3339 checks the syntax and the calendar (Date.parse would read February 30 as March 1). */
function isRfc3339(v: string): boolean {
  const m = RFC3339.exec(v);
  if (!m || Number.isNaN(Date.parse(v))) return false;
  const [y, mo, d, h, mi, s] = v.split(/[-Tt :.Zz+]/).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 59;
}

function at(text: string, rest: string[]): { at?: string } {
  if (rest.length > 1) throw new UsageError(`"${text}": too many words; a preset ends with its time "HH:MM", e.g. "daily 03:30"`);
  if (rest.length === 0) return {};
  const time = /^\d:\d\d$/.test(rest[0]!) ? `0${rest[0]}` : rest[0]!;
  return { at: time };
}
