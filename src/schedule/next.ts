// nextRuns: the instants at which the Kubernetes CronJob controller starts Jobs for a schedule.
// The controller parses "TZ=<timeZone> <schedule>" with robfig/cron v3 and calls Schedule.Next
// (pkg/controller/cronjob). This file ports SpecSchedule.Next line by line, including Go's time.Date
// normalisation, because that is what decides the daylight-saving behaviour people see:
//   - spring forward: a run inside the missing hour is skipped (not moved);
//   - fall back: a run inside the repeated hour happens twice;
//   - zones whose DST starts at midnight (America/Sao_Paulo until 2019, America/Santiago): the day's
//     midnight runs are skipped;
//   - `*` or `*​/1` in a day field keeps it unrestricted (AND with the other day field), anything else
//     restricts it, and two restricted day fields match either (OR).
// test/unit/schedule/next.test.ts compares this with the real robfig code (test/cron-oracle) on
// hand-written DST cases and a few hundred random ones.
import { dayMatches, parseCron, type CronSpec } from './cron.js';
import { assertKnownToRuntime, offsetPeriod, timeZoneProblem, type OffsetPeriod } from './timezone.js';

/** nextRuns lists up to `count` run instants strictly after `from`; fewer when the schedule stops firing
 * (robfig gives up after five years without a match). Throws on an invalid schedule or time zone. */
export function nextRuns(cron: string, timeZone: string, from: Date, count: number): Date[] {
  const parsed = parseCron(cron);
  if (!parsed.ok) throw new Error(`invalid schedule "${cron}": ${parsed.problems.join('; ')}`);
  if (parsed.schedule.kind === 'every') {
    throw new Error(`"${cron}" counts from the CronJob's creation or last run, so its runs cannot be previewed: use spec.interval instead`);
  }
  const zoneProblem = timeZoneProblem(timeZone);
  if (zoneProblem) throw new Error(`invalid time zone: ${zoneProblem}`);
  assertKnownToRuntime(timeZone);
  if (Number.isNaN(from.getTime())) throw new Error('invalid start time');
  const clock = new ZoneClock(timeZone);
  const runs: Date[] = [];
  let t = Math.floor(from.getTime() / 1000);
  for (let i = 0; i < count; i++) {
    const n = nextAfter(parsed.schedule, clock, t);
    if (n === undefined) break;
    runs.push(new Date(n * 1000));
    t = n;
  }
  return runs;
}

/** nextAfter is robfig/cron v3 SpecSchedule.Next on unix seconds (whole seconds; the seconds field is 0). */
function nextAfter(s: CronSpec, c: ZoneClock, from: number): number | undefined {
  let t = from + 1; // "the upcoming second" (from is already truncated to whole seconds)
  let added = false;
  const yearLimit = c.fields(t).year + 5;

  wrap: for (;;) {
    if (c.fields(t).year > yearLimit) return undefined;

    // The month.
    while (!s.month.values[c.fields(t).month]) {
      if (!added) {
        added = true;
        const f = c.fields(t);
        t = c.date(f.year, f.month, 1, 0, 0, 0);
      }
      const f = c.fields(t);
      t = c.date(f.year, f.month + 1, f.day, f.hour, f.minute, f.second); // AddDate(0, 1, 0)
      if (c.fields(t).month === 1) continue wrap;
    }

    // The day. robfig notes that midnight may not exist (DST at 00:00) and nudges the hour back.
    for (let f = c.fields(t); !dayMatches(s, f.day, f.weekday); f = c.fields(t)) {
      if (!added) {
        added = true;
        t = c.date(f.year, f.month, f.day, 0, 0, 0);
      }
      const g = c.fields(t);
      t = c.date(g.year, g.month, g.day + 1, g.hour, g.minute, g.second); // AddDate(0, 0, 1)
      const hour = c.fields(t).hour;
      if (hour !== 0) t += hour > 12 ? (24 - hour) * 3600 : -hour * 3600;
      if (c.fields(t).day === 1) continue wrap;
    }

    // The hour, minute and second loops step one unit at a time in robfig. Where no offset change lies
    // ahead, k steps land exactly where k single steps would, so we take them at once ("steady").
    for (let h = c.fields(t).hour; !s.hour.values[h]; h = c.fields(t).hour) {
      if (!added) {
        added = true;
        const f = c.fields(t);
        t = c.date(f.year, f.month, f.day, f.hour, 0, 0);
      }
      const k = stepsToAllowed(s.hour.values, c.fields(t).hour, 24);
      t += c.steady(t, t + k * 3600) ? k * 3600 : 3600;
      if (c.fields(t).hour === 0) continue wrap;
    }

    for (let m = c.fields(t).minute; !s.minute.values[m]; m = c.fields(t).minute) {
      if (!added) {
        added = true;
        t -= mod(t, 60); // Truncate(time.Minute)
      }
      const k = stepsToAllowed(s.minute.values, c.fields(t).minute, 60);
      t += c.steady(t, t + k * 60) ? k * 60 : 60;
      if (c.fields(t).minute === 0) continue wrap;
    }

    // The second: always 0 in the standard grammar. (Truncate(time.Second) is a no-op on whole seconds.)
    for (let sec = c.fields(t).second; sec !== 0; sec = c.fields(t).second) {
      added = true;
      t += c.steady(t, t + 60 - sec) ? 60 - sec : 1;
      if (c.fields(t).second === 0) continue wrap;
    }
    return t;
  }
}

interface WallFields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

/** ZoneClock answers Go's time questions (t.In(loc).Hour(), time.Date(..., loc)) for one zone. It keeps the
 * offset period it last used, since the walk asks about nearby instants thousands of times. */
class ZoneClock {
  private period: OffsetPeriod = { start: 0, end: 0, offset: 0 };
  private lastT = NaN;
  private last: WallFields | undefined;
  constructor(private readonly zone: string) {}

  offset(t: number): number {
    if (t < this.period.start || t >= this.period.end) this.period = offsetPeriod(this.zone, t);
    return this.period.offset;
  }

  /** steady: no offset change in [from, to], so the wall clock moves exactly as far as the instant. */
  steady(from: number, to: number): boolean {
    this.offset(from);
    return to < this.period.end;
  }

  fields(t: number): WallFields {
    if (t === this.lastT) return this.last!;
    const wall = t + this.offset(t);
    const days = Math.floor(wall / DAY);
    const secs = wall - days * DAY;
    this.lastT = t;
    this.last = {
      ...civilFromDays(days),
      hour: Math.floor(secs / 3600),
      minute: Math.floor(secs / 60) % 60,
      second: secs % 60,
      weekday: mod(days + 4, 7),
    };
    return this.last;
  }

  /** date is Go's time.Date: out-of-range values normalise (month 13 = January next year); a wall time in a
   * DST gap or overlap resolves as Go's does: unix = wall - offset(wall - offset(wall)). */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const y = year + Math.floor((month - 1) / 12);
    const m = mod(month - 1, 12) + 1;
    const wall = (daysFromCivil(y, m, 1) + day - 1) * DAY + hour * 3600 + minute * 60 + second;
    return wall - this.offset(wall - this.offset(wall));
  }
}

const DAY = 86_400;

// Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (H. Hinnant's algorithms).
function civilFromDays(z: number): { year: number; month: number; day: number } {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** stepsToAllowed counts unit steps from `current` to the next allowed value, or to the wrap at `size`. */
function stepsToAllowed(allowed: readonly boolean[], current: number, size: number): number {
  let k = 1;
  while (current + k < size && !allowed[current + k]) k++;
  return k;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
