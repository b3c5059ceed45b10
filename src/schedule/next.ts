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
import { assertKnownToRuntime, timeZoneProblem, utcOffsetSeconds } from './timezone.js';

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

    // The hour.
    while (!s.hour.values[c.fields(t).hour]) {
      if (!added) {
        added = true;
        const f = c.fields(t);
        t = c.date(f.year, f.month, f.day, f.hour, 0, 0);
      }
      t += 3600;
      if (c.fields(t).hour === 0) continue wrap;
    }

    // The minute.
    while (!s.minute.values[c.fields(t).minute]) {
      if (!added) {
        added = true;
        t -= mod(t, 60); // Truncate(time.Minute)
      }
      t += 60;
      if (c.fields(t).minute === 0) continue wrap;
    }

    // The second (always 0 in the standard grammar).
    while (c.fields(t).second !== 0) {
      if (!added) added = true; // Truncate(time.Second) is a no-op on whole seconds
      t += 1;
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

/** ZoneClock answers Go's time questions (t.In(loc).Hour(), time.Date(..., loc)) for one zone. */
class ZoneClock {
  private lastT = NaN;
  private last: WallFields | undefined;
  constructor(private readonly zone: string) {}

  fields(t: number): WallFields {
    if (t === this.lastT) return this.last!;
    const d = new Date((t + utcOffsetSeconds(this.zone, t)) * 1000);
    this.lastT = t;
    this.last = {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
    return this.last;
  }

  /** date is Go's time.Date: out-of-range values normalise (month 13 = January next year); a wall time in a
   * DST gap or overlap resolves as Go's does: unix = wall - offset(wall - offset(wall)). */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const d = new Date(0);
    d.setUTCFullYear(year, month - 1, day);
    d.setUTCHours(hour, minute, second, 0);
    const wall = d.getTime() / 1000;
    return wall - utcOffsetSeconds(this.zone, wall - utcOffsetSeconds(this.zone, wall));
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
