// Cron expressions in exactly the grammar Kubernetes accepts for CronJob .spec.schedule:
// robfig/cron v3 ParseStandard (kube-apiserver's validateScheduleFormat and the CronJob controller both call it).
// parseCron is a port of robfig's parser, quirks included, so that "accepted here" means "accepted by
// kube-apiserver" (proven against the Go oracle in test/cron-oracle). Stricter policy - schedules that never
// fire, @every - lives in validate.ts; the time walk lives in next.ts.
//
// Grammar (5 fields: minute hour day-of-month month day-of-week), per field a ','-separated list of
//   *  ?  N  N-M  */S  N/S (= N-max/S)  N-M/S   names JAN-DEC, SUN-SAT (any case)
// and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly, @every <duration>.
// No cron library is used: their grammars differ from robfig's in both directions (docs/architecture.md).

/** CronField is the set of values a field allows, and robfig's "star bit": set when the field was written
 * as `*` or `?` with step 1 (`*`, `*​/1`, `?`). A starred day field makes day matching AND, not OR. */
export interface CronField {
  readonly values: readonly boolean[];
  readonly star: boolean;
}

export interface CronSpec {
  readonly kind: 'spec';
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

/** `@every <duration>`: robfig's ConstantDelaySchedule. Kubernetes accepts it; validate.ts explains why we do not. */
export interface CronEvery {
  readonly kind: 'every';
  readonly text: string;
}

export type CronSchedule = CronSpec | CronEvery;

export type ParseResult = { ok: true; schedule: CronSchedule } | { ok: false; problems: readonly string[] };

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly Bounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 6, names: DOW_NAMES },
];

/** MACROS are robfig's descriptors, written as the 5-field expressions they equal (star bits included). */
export const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// Go's strings.Fields splits on unicode.IsSpace, which differs from JavaScript's \s (U+0085 yes, U+FEFF no).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
// Go's time.ParseDuration: [-+]? then one or more <decimal><unit>, or a bare 0.
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

const parsedCache = new Map<string, ParseResult>();
/** PARSED_CACHE_SIZE bounds the memo: a fleet with more distinct expressions re-parses only the least recently used. */
export const PARSED_CACHE_SIZE = 4096;

/** parseCron reads `expr` as robfig/cron v3 ParseStandard does, without the TZ= prefix (Kubernetes refuses it).
 * Results are immutable and memoised, least recently used first out (a fleet repeats its expressions in every
 * reconcile, and the run-gap walk is cached on the parsed spec). */
export function parseCron(expr: string): ParseResult {
  let result = parsedCache.get(expr);
  if (result) {
    parsedCache.delete(expr); // a Map iterates in insertion order: re-inserting marks it most recently used
  } else {
    result = parse(expr);
    if (parsedCache.size >= PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value!);
  }
  parsedCache.set(expr, result);
  return result;
}

function parse(expr: string): ParseResult {
  if (expr.length === 0) return fail('the schedule is empty: write 5 fields, e.g. "0 3 * * *" (03:00 every day)');
  if (expr.includes('TZ')) {
    return fail('Kubernetes refuses TZ= or CRON_TZ= (or any "TZ") in a schedule: remove it and set spec.timeZone instead');
  }
  if (expr.startsWith('@')) return parseMacro(expr);
  const fields = expr.split(GO_SPACE).filter((f) => f !== '');
  if (fields.length !== 5) return fail(fieldCountProblem(fields));
  const problems: string[] = [];
  const parsed = fields.map((text, i) => {
    const bounds = FIELDS[i]!;
    const result = parseField(text, bounds);
    if (typeof result === 'string') problems.push(`${bounds.name} field "${text}": ${result}`);
    return typeof result === 'string' ? undefined : result;
  });
  if (problems.length) return { ok: false, problems };
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parsed as CronField[];
  return {
    ok: true,
    schedule: { kind: 'spec', minute: minute!, hour: hour!, dayOfMonth: dayOfMonth!, month: month!, dayOfWeek: dayOfWeek! },
  };
}

function fail(problem: string): ParseResult {
  return { ok: false, problems: [problem] };
}

function parseMacro(expr: string): ParseResult {
  const equivalent = MACROS[expr];
  if (equivalent !== undefined) return parse(equivalent);
  if (expr.startsWith('@every ')) {
    const duration = expr.slice('@every '.length);
    if (GO_DURATION.test(duration)) return { ok: true, schedule: { kind: 'every', text: duration } };
    return fail(`"${expr}" is not a valid @every duration (write e.g. "@every 15m")`);
  }
  const lower = expr.toLowerCase();
  if (MACROS[lower] !== undefined) return fail(`macros are lowercase in Kubernetes: write "${lower}"`);
  if (lower === '@weekdays')
    return fail('"@weekdays" is not a Kubernetes macro: write "0 0 * * 1-5" (or use spec.preset with frequency weekdays)');
  if (lower === '@minutely') return fail('"@minutely" is not a Kubernetes macro: write "* * * * *"');
  if (lower === '@reboot') return fail('"@reboot" has no meaning for a CronJob: write a time-based schedule');
  return fail(`unknown macro "${expr}": Kubernetes accepts ${Object.keys(MACROS).join(' ')} (exactly, with nothing around them)`);
}

function fieldCountProblem(fields: string[]): string {
  const n = fields.length;
  if (n === 6) {
    return 'has 6 fields: Kubernetes CronJobs have no seconds (or year) field; write 5 fields, minute hour day-of-month month day-of-week';
  }
  if (n === 7) return 'has 7 fields (Quartz style, with seconds and year): write 5 fields, minute hour day-of-month month day-of-week';
  return `has ${n} field${n === 1 ? '' : 's'}, Kubernetes needs exactly 5: minute hour day-of-month month day-of-week (e.g. "30 2 * * *")`;
}

/** parseField is robfig's getField: a ','-separated list of ranges (empty pieces ignored, as strings.FieldsFunc does). */
function parseField(text: string, bounds: Bounds): CronField | string {
  const values = new Array<boolean>(bounds.max + 1).fill(false);
  let star = false;
  for (const piece of text.split(',')) {
    if (piece === '') continue;
    const range = parseRange(piece, bounds);
    if (typeof range === 'string') return range;
    for (let v = range.start; v <= range.end; v += range.step) values[v] = true;
    star ||= range.star;
  }
  return { values, star };
}

interface Range {
  start: number;
  end: number;
  step: number;
  star: boolean;
}

/** parseRange is robfig's getRange, check for check and in the same order. */
function parseRange(expr: string, b: Bounds): Range | string {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    // robfig ignores anything after a leading '*-' or '?-' ("*-5" means "*"); so do we, to agree.
    start = b.min;
    end = b.max;
    star = true;
  } else {
    const low = parseIntOrName(lowAndHigh[0]!, b);
    if (typeof low === 'string') return low;
    start = low;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const high = parseIntOrName(lowAndHigh[1]!, b);
      if (typeof high === 'string') return high;
      end = high;
    } else return `"${expr}" has too many '-': write a range as N-M`;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = parseNonNegativeInt(rangeAndStep[1]!, b);
    if (typeof s === 'string') return s;
    step = s;
    if (single) end = b.max; // "N/S" means "N-max/S"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) return `"${expr}" has too many '/': write a step as */S or N-M/S`;

  if (start < b.min) return `${start} is below the minimum ${b.min} (${b.name} is ${b.min}-${b.max})`;
  if (end > b.max) return aboveMaximum(end, b);
  if (start > end) return `the range starts at ${start}, after its end ${end}: write the smaller value first`;
  if (step === 0) return 'a step must be a positive number, e.g. */5';
  return { start, end, step, star };
}

function aboveMaximum(value: number, b: Bounds): string {
  if (b.name === 'day-of-week' && value === 7) return 'day-of-week 7 is not accepted by Kubernetes: write 0 (or SUN) for Sunday';
  return `${value} is above the maximum ${b.max} (${b.name} is ${b.min}-${b.max})`;
}

function parseIntOrName(text: string, b: Bounds): number | string {
  const named = b.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseNonNegativeInt(text, b);
}

// mustParseInt: Go's strconv.Atoi (optional sign, ASCII digits, int64 range), then no negatives.
function parseNonNegativeInt(text: string, b: Bounds): number | string {
  if (!/^[+-]?\d+$/.test(text)) return notANumber(text, b);
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return `${text} is out of range (${b.name} is ${b.min}-${b.max})`;
  if (big < 0n) return `negative numbers are not allowed (${b.name} is ${b.min}-${b.max})`;
  return big > 1_000_000n ? 1_000_000 : Number(big); // anything above 1e6 is "above the maximum" either way
}

function notANumber(text: string, b: Bounds): string {
  const t = text.toUpperCase();
  if (t === '') return `an empty value: write a number (${b.name} is ${b.min}-${b.max})`;
  if (/^\d*L$|^LW$/.test(t))
    return `"${text}" (last day) is not Kubernetes cron syntax: list the days explicitly, e.g. 28-31 with a check in the job, or use day 1`;
  if (/^\d+W$/.test(t)) return `"${text}" (nearest weekday) is not Kubernetes cron syntax: use a day-of-week range such as 1-5`;
  if (t.includes('#'))
    return `"${text}" (nth weekday of the month) is not Kubernetes cron syntax: combine a day range with a weekday in the job, e.g. days 1-7 and check the weekday`;
  if (t.startsWith('H')) return `"${text}" (hashed value) is Jenkins syntax, not Kubernetes cron: write a fixed number`;
  const names = b.names ? ` or a name ${Object.keys(b.names).join('/').toUpperCase()}` : '';
  return `"${text}" is not a number${names} (${b.name} is ${b.min}-${b.max})`;
}

/** canEverFire reports whether a parsed schedule can ever fire: every field allows a value and, when the
 * day-of-week is unrestricted (AND), some allowed month has an allowed day (Feb 29 counts). */
export function canEverFire(s: CronSpec): boolean {
  const any = (f: CronField): boolean => f.values.some(Boolean);
  if (!any(s.minute) || !any(s.hour) || !any(s.dayOfMonth) || !any(s.month) || !any(s.dayOfWeek)) return false;
  if (!(s.dayOfMonth.star || s.dayOfWeek.star)) return true; // OR: some weekday matches every month
  if (s.dayOfMonth.star) return true; // every day allowed; every month has every weekday
  const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  for (let m = 1; m <= 12; m++) {
    if (!s.month.values[m]) continue;
    for (let d = 1; d <= DAYS_IN_MONTH[m]!; d++) if (s.dayOfMonth.values[d]) return true;
  }
  return false;
}

/** dayMatches is robfig's: with either day field starred both must match (AND), otherwise either (OR). */
export function dayMatches(s: CronSpec, dayOfMonth: number, weekday: number): boolean {
  const dom = s.dayOfMonth.values[dayOfMonth] === true;
  const dow = s.dayOfWeek.values[weekday] === true;
  return s.dayOfMonth.star || s.dayOfWeek.star ? dom && dow : dom || dow;
}

/** RunGaps: the shortest and the longest wall-clock time between two consecutive runs, in minutes. */
export interface RunGaps {
  min: number;
  max: number;
  /**
   * maxExample: for a longest gap that skips days, the run days around it, named by the fields the spec restricts
   * ("from Friday to Monday", "from 31 March to 31 May").
   */
  maxExample?: string;
}

const runGaps = new WeakMap<CronSpec, RunGaps>();

/**
 * runGapsMinutes: the shortest and the longest wall-clock time between two consecutive runs, in minutes
 * (daylight-saving shifts aside; Infinity when the spec never runs twice). Kept per parsed spec (parseCron
 * memoises those), since the day walk runs on every validation.
 */
export function runGapsMinutes(s: CronSpec): RunGaps {
  let gaps = runGaps.get(s);
  if (gaps === undefined) runGaps.set(s, (gaps = computeGaps(s)));
  return gaps;
}

/** minGapMinutes is the shortest wall-clock time between two runs (daylight-saving repeats aside), in minutes. */
export const minGapMinutes = (s: CronSpec): number => runGapsMinutes(s).min;

function computeGaps(s: CronSpec): RunGaps {
  const minutes = indices(s.minute);
  const hours = indices(s.hour);
  const days = dayGaps(s);
  if (!minutes.length || !hours.length || days.runDays === 0) return { min: Infinity, max: Infinity };
  // Gaps within a day: between two minutes of an hour, and from the last minute of one hour to the first of the next.
  const within: number[] = [];
  for (let i = 1; i < minutes.length; i++) within.push(minutes[i]! - minutes[i - 1]!);
  const span = minutes[minutes.length - 1]! - minutes[0]!;
  for (let i = 1; i < hours.length; i++) within.push((hours[i]! - hours[i - 1]!) * 60 - span);
  // Gaps across days: from the day's last run to the first run of the next day that runs.
  const firstOfDay = hours[0]! * 60 + minutes[0]!;
  const lastOfDay = hours[hours.length - 1]! * 60 + minutes[minutes.length - 1]!;
  const across = (d: number) => (d < Infinity ? d * 1440 - lastOfDay + firstOfDay : Infinity);
  const min = Math.min(...within, across(days.min));
  const withinMax = within.length ? Math.max(...within) : 0;
  const acrossMax = days.max > 0 ? across(days.max) : 0;
  const max = Math.max(withinMax, acrossMax);
  if (max === 0) return { min, max: Infinity }; // one run day in 28 years: never runs twice in the walk
  // An example only when the longest gap skips days (a weekend, a month without the date): "from Friday to Monday".
  return acrossMax >= withinMax && days.max > 1 && days.maxFrom && days.maxTo
    ? { min, max, maxExample: `from ${dayName(s, days.maxFrom)} to ${dayName(s, days.maxTo)}` }
    : { min, max };
}

// dayGaps walks the 28 years 2001-2028 (every weekday/date combination, leap years included): the shortest and
// the longest number of days between two consecutive run days, and the first pair of days with the longest.
// Plain counters, no Date per day: this runs once per distinct expression, and a fleet has thousands.
function dayGaps(s: CronSpec): { min: number; max: number; runDays: number; maxFrom?: Date; maxTo?: Date } {
  let min = Infinity;
  let max = 0;
  let runDays = 0;
  let previous: number | undefined;
  let maxFromDay = 0;
  let maxToDay = 0;
  let day = Date.UTC(2001, 0, 1) / 86_400_000; // days since 1970-01-01, a Thursday
  let weekday = (day + 4) % 7;
  for (let year = 2001; year < 2029; year++) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    for (let month = 1; month <= 12; month++) {
      const days = month === 2 && leap ? 29 : MONTH_DAYS[month]!;
      const monthRuns = s.month.values[month] === true;
      for (let date = 1; date <= days; date++, day++, weekday = (weekday + 1) % 7) {
        if (!monthRuns || !dayMatches(s, date, weekday)) continue;
        runDays++;
        if (previous !== undefined) {
          const gap = day - previous;
          if (gap < min) min = gap;
          if (gap > max) {
            max = gap;
            maxFromDay = previous;
            maxToDay = day;
          }
        }
        previous = day;
      }
    }
  }
  return max > 0
    ? { min, max, runDays, maxFrom: new Date(maxFromDay * 86_400_000), maxTo: new Date(maxToDay * 86_400_000) }
    : { min, max, runDays };
}

/** MONTH_DAYS: days of each month (1-based) in a common year. */
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** dayName names a run day of the walk by the fields the spec restricts: "Friday", "31 August", "Friday 13 March". */
function dayName(s: CronSpec, d: Date): string {
  const weekday = s.dayOfWeek.star ? '' : WEEKDAYS[d.getUTCDay()]!;
  const date = s.dayOfMonth.star && s.month.star ? '' : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  return [weekday, date].filter(Boolean).join(' ');
}

function indices(f: CronField): number[] {
  const out: number[] = [];
  f.values.forEach((v, i) => v && out.push(i));
  return out;
}
