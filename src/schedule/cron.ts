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

/** parseCron reads `expr` as robfig/cron v3 ParseStandard does, without the TZ= prefix (Kubernetes refuses it).
 * Results are immutable and memoised (a fleet repeats a few expressions in every reconcile). */
export function parseCron(expr: string): ParseResult {
  let result = parsedCache.get(expr);
  if (!result) {
    if (parsedCache.size >= 1000) parsedCache.clear();
    parsedCache.set(expr, (result = parse(expr)));
  }
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

const minGaps = new WeakMap<CronSpec, number>();

/**
 * minGapMinutes is the shortest wall-clock time between two runs (daylight-saving repeats aside), in minutes.
 * Kept per parsed spec (parseCron memoises those), since the day walk runs on every validation.
 */
export function minGapMinutes(s: CronSpec): number {
  let gap = minGaps.get(s);
  if (gap === undefined) minGaps.set(s, (gap = computeMinGap(s)));
  return gap;
}

function computeMinGap(s: CronSpec): number {
  const minutes = indices(s.minute);
  const hours = indices(s.hour);
  if (!minutes.length || !hours.length) return Infinity;
  let gap = Infinity;
  for (let i = 1; i < minutes.length; i++) gap = Math.min(gap, minutes[i]! - minutes[i - 1]!);
  const span = minutes[minutes.length - 1]! - minutes[0]!;
  for (let i = 1; i < hours.length; i++) gap = Math.min(gap, (hours[i]! - hours[i - 1]!) * 60 - span);
  const firstOfDay = hours[0]! * 60 + minutes[0]!;
  const lastOfDay = hours[hours.length - 1]! * 60 + minutes[minutes.length - 1]!;
  const days = minDayGap(s);
  if (days < Infinity) gap = Math.min(gap, days * 1440 - lastOfDay + firstOfDay);
  return gap;
}

// minDayGap walks the 28 years 2001-2028 (every weekday/date combination, leap years included).
function minDayGap(s: CronSpec): number {
  let best = Infinity;
  let previous: number | undefined;
  for (let day = Date.UTC(2001, 0, 1) / 86_400_000; day < Date.UTC(2029, 0, 1) / 86_400_000; day++) {
    const d = new Date(day * 86_400_000);
    if (!s.month.values[d.getUTCMonth() + 1] || !dayMatches(s, d.getUTCDate(), d.getUTCDay())) continue;
    if (previous !== undefined) best = Math.min(best, day - previous);
    if (best === 1) return 1;
    previous = day;
  }
  return best;
}

function indices(f: CronField): number[] {
  const out: number[] = [];
  f.values.forEach((v, i) => v && out.push(i));
  return out;
}
