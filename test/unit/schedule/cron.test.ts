// parseCron accepts exactly what kube-apiserver accepts for CronJob .spec.schedule (validateScheduleFormat:
// robfig/cron v3 ParseStandard, and no "TZ"), proven against the Go oracle; and its refusals say why and
// what to write instead.
import { describe, expect, it } from 'vitest';
import { canEverFire, minGapMinutes, PARSED_CACHE_SIZE, parseCron, type CronSpec } from '../../../src/schedule/cron.js';
import { askOracle } from '../../cron-oracle/oracle.js';

const problems = (expr: string): string => {
  const r = parseCron(expr);
  return r.ok ? 'accepted' : r.problems.join(' | ');
};
const spec = (expr: string): CronSpec => {
  const r = parseCron(expr);
  if (!r.ok || r.schedule.kind !== 'spec') throw new Error(`not a cron spec: ${expr}`);
  return r.schedule;
};

/** Expressions whose validity must agree with kube-apiserver, quirks included. */
const VALIDITY_TABLE = [
  // accepted
  '* * * * *',
  '0 0 * * *',
  '*/15 * * * *',
  '0 */2 * * *',
  '45 18 * * 1-5',
  '0 0 1 1 *',
  '0 0 L * *',
  '0 9 * * MON-FRI',
  '0 9 * * mon,wed,Fri',
  '0 0 1 JAN,jul *',
  '0 0 ? * ?',
  '? ? ? ? ?',
  '5/15 * * * *',
  '0-59/10 * * * *',
  '0 0 1-31 * 0-6',
  '0 0 */1 * *',
  '0 0 31 2 *',
  '0 0 30 2 *',
  '0 0 , * *',
  '1,,2 * * * *',
  '*-5 * * * *',
  '?-3 * * * *',
  '+5 * * * *',
  '05 07 * * *',
  '0 0 * * */7',
  '0 0 1/100 * *',
  '  0  0 * * *  ',
  '0\t0 * * *',
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
  '@every 1h',
  '@every 90s',
  '@every 1h30m',
  '@every 0',
  '@every -5m',
  '@every 1.5h',
  // refused
  '',
  ' ',
  '* * * *',
  '* * * * * *',
  '0 0 0 * * * 2024',
  '60 * * * *',
  '* 24 * * *',
  '* * 0 * *',
  '* * 32 * *',
  '* * * 0 *',
  '* * * 13 *',
  '* * * * 7',
  '* * * * 0-7',
  '* * L * *',
  '* * 15W * *',
  '* * * * 5L',
  '* * * * 5#2',
  'H * * * *',
  'H/15 * * * *',
  '*/0 * * * *',
  '5-1 * * * *',
  '1-2-3 * * * *',
  '*/2/3 * * * *',
  '-5 * * * *',
  '5- * * * *',
  '*/ * * * *',
  '*/-1 * * * *',
  'a * * * *',
  '0 0 * JANUARY *',
  '0 0 * * MONDAY',
  '0 0 * MON *',
  '0 0 * * JAN',
  'TZ=UTC 0 0 * * *',
  'CRON_TZ=Europe/Berlin 0 0 * * *',
  'TZ=UTC',
  '@Daily',
  '@DAILY',
  ' @daily',
  '@daily ',
  '@weekdays',
  '@minutely',
  '@reboot',
  '@every',
  '@every 5',
  '@every 5 m',
  '@every1h',
  '0 0 * * * ?',
  '99999999999999999999 * * * *',
  '0 0 * * 1;2',
  '0 0 * * 1 2',
];

describe('parseCron agrees with kube-apiserver (the Go oracle)', () => {
  it(`on ${VALIDITY_TABLE.length} hand-picked expressions, quirks included`, () => {
    const answers = askOracle(VALIDITY_TABLE.map((expr) => ({ kind: 'parse', expr })));
    const disagreements = VALIDITY_TABLE.flatMap((expr, i) => {
      const kube = answers[i]!.ok === true;
      const ours = parseCron(expr).ok;
      return kube === ours
        ? []
        : [
            `${JSON.stringify(expr)}: kube-apiserver ${kube ? 'accepts' : `refuses (${answers[i]!.error})`}, we ${ours ? 'accept' : `refuse (${problems(expr)})`}`,
          ];
    });
    expect(disagreements).toEqual([]);
  });

  it('on 1,000 seeded random token soups', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const PIECES = [
      '*',
      '?',
      '*/2',
      '*/1',
      '0',
      '1',
      '5',
      '7',
      '12',
      '23',
      '31',
      '59',
      '60',
      '1-5',
      '5-1',
      '3/4',
      '0-7',
      'MON',
      'jan',
      'sun-sat',
      'L',
      '15W',
      '5#2',
      'H',
      '+3',
      '-3',
      '00',
      '*-2',
      '',
      '1/0',
      '1-2-3',
      '*/2/2',
    ];
    const pick = (): string => PIECES[Math.floor(rnd() * PIECES.length)]!;
    const field = (): string => (rnd() < 0.5 ? '*' : rnd() < 0.8 ? pick() : `${pick()},${pick()}`) || '*';
    const exprs = Array.from({ length: 1000 }, () => Array.from({ length: rnd() < 0.9 ? 5 : 4 + Math.floor(rnd() * 3) }, field).join(' '));
    const answers = askOracle(exprs.map((expr) => ({ kind: 'parse', expr })));
    const disagreements = exprs.filter((expr, i) => (answers[i]!.ok === true) !== parseCron(expr).ok);
    expect(disagreements).toEqual([]);
    // the soup is not trivially all-valid or all-invalid
    const accepted = answers.filter((a) => a.ok).length;
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(950);
  });
});

describe('parseCron explains what Kubernetes refuses', () => {
  it.each([
    ['TZ=Europe/Berlin 0 0 * * *', /set spec.timeZone/],
    ['CRON_TZ=UTC 0 0 * * *', /set spec.timeZone/],
    ['0 0 0 * * *', /6 fields: .*no seconds/],
    ['0 0 12 * * ? 2024', /7 fields \(Quartz/],
    ['0 0 * *', /exactly 5/],
    ['0 0 L * *', /"L" \(last day\) is not Kubernetes cron syntax/],
    ['0 0 15W * *', /nearest weekday/],
    ['0 0 * * 5L', /last day/],
    ['0 0 * * 1#2', /nth weekday/],
    ['H 0 * * *', /Jenkins/],
    ['0 0 * * 7', /day-of-week 7 is not accepted by Kubernetes: write 0 \(or SUN\)/],
    ['0 0 * * 1-7', /day-of-week 7/],
    ['@weekdays', /"0 0 \* \* 1-5"/],
    ['@minutely', /"\* \* \* \* \*"/],
    ['@Daily', /lowercase.*"@daily"/],
    ['@often', /unknown macro/],
    ['60 * * * *', /minute field "60": 60 is above the maximum 59/],
    ['0 0 * * MONDAY', /day-of-week field "MONDAY": "MONDAY" is not a number or a name SUN\/MON/],
    ['5-1 * * * *', /write the smaller value first/],
    ['*/0 * * * *', /step must be a positive number/],
  ])('%s', (expr, message) => {
    expect(problems(expr)).toMatch(message);
  });

  it('reports a problem in every bad field, not just the first', () => {
    const r = parseCron('60 24 0 13 7');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.split(' ')[0])).toEqual(['minute', 'hour', 'day-of-month', 'month', 'day-of-week']);
  });
});

describe('the star bit: which day fields are unrestricted', () => {
  it.each([
    ['*', true],
    ['?', true],
    ['*/1', true],
    ['*-3', true],
    ['*/2', false],
    ['1-31', false],
    ['1/1', false],
    ['*,5', true],
  ])('day-of-month %s is unrestricted: %s', (dom, star) => {
    expect(spec(`0 0 ${dom} * 1`).dayOfMonth.star).toBe(star);
  });
});

describe('canEverFire', () => {
  it.each([
    ['0 0 31 2 *', false],
    ['0 0 30 2 *', false],
    ['0 0 31 4,6,9,11 *', false],
    ['0 0 , * *', false],
    ['0 0 29 2 *', true],
    ['0 0 31 2 1', true],
    ['0 0 30 2 */1', false],
    ['0 0 31 1-2 *', true],
    ['0 0 */1 2 5', true],
  ])('%s -> %s', (expr, fires) => {
    expect(canEverFire(spec(expr))).toBe(fires);
  });
});

describe('minGapMinutes: the shortest wall-clock time between runs', () => {
  it.each([
    ['* * * * *', 1],
    ['*/15 * * * *', 15],
    ['0,50 * * * *', 10],
    ['50 * * * *', 60],
    ['55 1,2 * * *', 60],
    ['0 */2 * * *', 120],
    ['0 0 * * *', 1440],
    ['59 23 * * *', 1440],
    ['0 0,23 * * *', 60],
    ['0 0 * * 1-5', 1440],
    ['0 0 * * 1', 10_080],
    ['30 23 28 2 *', 1440 * 365],
    ['30 23 28,1 2,3 *', 1440], // Feb 28 -> Mar 1 in common years
  ])('%s -> %d', (expr, gap) => {
    expect(minGapMinutes(spec(expr))).toBe(gap);
  });
});

describe('the parse memo', () => {
  const distinct = (n: number, tag: number) =>
    Array.from({ length: n }, (_, i) => `${i % 60} ${Math.floor(i / 60) % 24} ${1 + (tag % 28)} * *`);

  it('keeps an expression in use while more distinct expressions than it holds pass through', () => {
    const hot = '7 7 7 7 *';
    const first = parseCron(hot);
    // Twice the memo's size of other expressions, with the hot one used in between (as every pass of its Schedule does).
    for (const [i, expr] of [
      ...distinct(1440, 1),
      ...distinct(1440, 2),
      ...distinct(1440, 3),
      ...distinct(1440, 4),
      ...distinct(1440, 5),
      ...distinct(1440, 6),
    ].entries()) {
      parseCron(expr);
      if (i % 1000 === 0) expect(parseCron(hot)).toBe(first);
    }
    expect(6 * 1440).toBeGreaterThan(2 * PARSED_CACHE_SIZE);
    expect(parseCron(hot)).toBe(first);
  });

  it('lets the least recently used expression go once the memo is full', () => {
    const cold = '8 8 8 8 *';
    const first = parseCron(cold);
    for (const expr of [...distinct(1440, 11), ...distinct(1440, 12), ...distinct(1440, 13)]) parseCron(expr);
    const again = parseCron(cold);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
