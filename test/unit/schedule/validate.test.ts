import { describe, expect, it } from 'vitest';
import { validateSpec, type FieldError } from '../../../src/schedule/validate.js';

const jobTemplate = { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } };
const errorsOf = (spec: Record<string, unknown>, opts?: { minIntervalMinutes?: number }): FieldError[] => {
  const r = validateSpec({ jobTemplate, ...spec }, opts);
  return r.ok ? [] : r.errors;
};

describe('validateSpec: valid specs', () => {
  it('passes a cron schedule through as the effective schedule, with defaults applied', () => {
    const r = validateSpec({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin', jobTemplate });
    expect(r).toMatchObject({ ok: true, effectiveSchedule: '30 2 * * *', timeZone: 'Europe/Berlin' });
    expect(r.ok && r.spec).toMatchObject({ suspend: false, startingDeadlineSeconds: 300, runHistoryLimit: 10 });
  });

  it('compiles a preset and an interval, and defaults the zone to UTC', () => {
    expect(validateSpec({ preset: { frequency: 'weekdays', at: '18:45' }, jobTemplate })).toMatchObject({
      ok: true,
      effectiveSchedule: '45 18 * * 1-5',
      timeZone: 'UTC',
    });
    expect(validateSpec({ interval: '2h', jobTemplate })).toMatchObject({ ok: true, effectiveSchedule: '0 */2 * * *' });
  });

  it('accepts every macro Kubernetes accepts except @every', () => {
    for (const m of ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']) {
      expect(validateSpec({ schedule: m, jobTemplate })).toMatchObject({ ok: true, effectiveSchedule: m });
    }
  });
});

describe('validateSpec: one form of schedule', () => {
  it('asks for one when none is set', () => {
    expect(errorsOf({})).toEqual([
      { field: 'spec', message: expect.stringMatching(/^set one of spec.schedule .*spec.preset .*spec.interval/) },
    ]);
  });
  it('names the forms when more than one is set', () => {
    expect(errorsOf({ schedule: '0 0 * * *', interval: '15m' })).toEqual([
      {
        field: 'spec',
        message: 'set exactly one of spec.schedule, spec.preset or spec.interval; this spec sets spec.schedule and spec.interval',
      },
    ]);
  });
});

describe('validateSpec: cron the way Kubernetes reads it', () => {
  it.each([
    ['TZ=Europe/Berlin 0 0 * * *', /set spec.timeZone/],
    ['0 0 0 * * *', /no seconds/],
    ['0 0 L * *', /last day/],
    ['0 0 15W * *', /nearest weekday/],
    ['0 0 * * 5#3', /nth weekday/],
    ['H 0 * * *', /Jenkins/],
    ['0 0 * * 7', /write 0 \(or SUN\) for Sunday/],
    ['@weekdays', /0 0 \* \* 1-5/],
    ['@minutely', /\* \* \* \* \*/],
    ['@every 15m', /spec.interval: "15m"/],
    ['0 0 31 2 *', /can never run/],
    ['0 0 30 2 *', /can never run/],
    ['0 0 31 4,6,9,11 *', /can never run/],
  ])('refuses %s with a reason and a fix', (schedule, message) => {
    const errors = errorsOf({ schedule });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({ field: 'spec.schedule', message: expect.stringMatching(message) });
  });
});

describe('validateSpec: time zone as Kubernetes validates it', () => {
  it.each([
    ['europe/berlin', /case-sensitive.*"Europe\/Berlin"/],
    ['Local', /explicit IANA name/],
    ['Mars/Olympus', /unknown time zone/],
    ['', /must not be empty/],
  ])('refuses %j', (timeZone, message) => {
    expect(errorsOf({ schedule: '0 0 * * *', timeZone })).toEqual([{ field: 'spec.timeZone', message: expect.stringMatching(message) }]);
  });
});

describe('validateSpec: presets and intervals', () => {
  it('refuses minute on a daily preset, naming spec.preset.minute', () => {
    expect(errorsOf({ preset: { frequency: 'daily', minute: 5 } })).toEqual([
      { field: 'spec.preset.minute', message: expect.stringMatching(/applies only to frequency hourly/) },
    ]);
  });
  it('explains a malformed preset time', () => {
    expect(errorsOf({ preset: { frequency: 'daily', at: '6pm' } })).toEqual([
      { field: 'spec.preset.at', message: 'must be "HH:MM" on a 24-hour clock, e.g. "18:45"' },
    ]);
  });
  it('refuses an uneven interval and lists the ones that work', () => {
    expect(errorsOf({ interval: '25m' })).toEqual([
      { field: 'spec.interval', message: expect.stringContaining('Intervals that work: 1m') },
    ]);
  });
});

describe('validateSpec: the operator minimum interval', () => {
  it('refuses a cron schedule that runs more often than the limit, saying the limit', () => {
    expect(errorsOf({ schedule: '*/5 * * * *' }, { minIntervalMinutes: 10 })).toEqual([
      {
        field: 'spec.schedule',
        message:
          'runs as often as every 5 minutes, but this operator allows at most one run every 10 minutes (its minimum-interval setting): choose a less frequent schedule',
      },
    ]);
  });
  it('measures the closest pair of runs, not the average (0,5 past the hour is 5 minutes apart)', () => {
    expect(errorsOf({ schedule: '0,5 * * * *' }, { minIntervalMinutes: 10 })).toHaveLength(1);
    expect(errorsOf({ schedule: '0 * * * *' }, { minIntervalMinutes: 10 })).toEqual([]);
  });
  it('applies to intervals and presets too', () => {
    expect(errorsOf({ interval: '5m' }, { minIntervalMinutes: 15 })).toEqual([
      { field: 'spec.interval', message: expect.stringContaining('every 5 minutes') },
    ]);
    expect(errorsOf({ preset: { frequency: 'hourly' } }, { minIntervalMinutes: 15 })).toEqual([]);
  });
  it('does not count the daylight-saving repeat as a shorter interval (a daily run is daily)', () => {
    expect(errorsOf({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }, { minIntervalMinutes: 120 })).toEqual([]);
  });
  it('is off by default', () => {
    expect(errorsOf({ schedule: '* * * * *' })).toEqual([]);
  });
});

describe('validateSpec: all problems at once', () => {
  it('reports shape, schedule and time-zone problems together, each with its field', () => {
    const errors = errorsOf({
      schedule: '0 0 * * 7',
      timeZone: 'europe/berlin',
      runHistoryLimit: 500,
      startingDeadlineSeconds: 5,
      bogus: true,
    });
    expect(errors.map((e) => e.field).sort()).toEqual([
      'spec',
      'spec.runHistoryLimit',
      'spec.schedule',
      'spec.startingDeadlineSeconds',
      'spec.timeZone',
    ]);
    expect(errors).toContainEqual({ field: 'spec.runHistoryLimit', message: 'must be at most 100' });
    expect(errors).toContainEqual({ field: 'spec.startingDeadlineSeconds', message: 'must be at least 10' });
    expect(errors).toContainEqual({
      field: 'spec',
      message: 'unknown field "bogus": check the spelling against `kubectl explain schedule.spec`',
    });
  });

  it('reports every bad cron field', () => {
    expect(errorsOf({ schedule: '60 24 * * *' }).map((e) => e.message)).toEqual([
      'minute field "60": 60 is above the maximum 59 (minute is 0-59)',
      'hour field "24": 24 is above the maximum 23 (hour is 0-23)',
    ]);
  });

  it('turns type errors into plain words', () => {
    expect(validateSpec({ schedule: 5 })).toEqual({
      ok: false,
      errors: [
        { field: 'spec.schedule', message: 'must be a string, not a number' },
        { field: 'spec.jobTemplate', message: 'is required' },
      ],
    });
    expect(validateSpec('0 0 * * *')).toEqual({ ok: false, errors: [{ field: 'spec', message: 'must be an object, not a string' }] });
  });
});

describe('validateSpec: slot accounting fields (issue 10)', () => {
  it('accepts expectSuccessWithin at least as long as the shortest gap, pauseAfterConsecutiveFailures >= 1 and runHistoryMaxAge', () => {
    expect(
      errorsOf({ schedule: '0 3 * * *', expectSuccessWithin: '25h', pauseAfterConsecutiveFailures: 1, runHistoryMaxAge: '30d' }),
    ).toEqual([]);
    expect(errorsOf({ interval: '15m', expectSuccessWithin: '1h30m' })).toEqual([]);
    expect(errorsOf({ schedule: '0 * * * *', expectSuccessWithin: '60m' })).toEqual([]);
  });

  it.each([
    ['0 * * * *', '30m', /"30m" is shorter than the schedule's shortest gap between two runs \(1h\).*set at least 1h/],
    ['0 3 * * *', '20h', /shortest gap between two runs \(1d\)/],
    ['0 9 * * 1-5', '23h', /shortest gap between two runs \(1d\)/],
  ])('refuses expectSuccessWithin shorter than the gap of %s: %s', (schedule, expectSuccessWithin, message) => {
    expect(errorsOf({ schedule, expectSuccessWithin })).toEqual([
      { field: 'spec.expectSuccessWithin', message: expect.stringMatching(message) },
    ]);
  });

  const warningsOf = (spec: Record<string, unknown>) => {
    const r = validateSpec({ jobTemplate: jobTemplate, ...spec });
    if (!r.ok) throw new Error(`expected a valid spec: ${JSON.stringify(r.errors)}`);
    return r.warnings;
  };

  it.each([
    [
      '0 2 * * 1-5',
      '25h',
      '"25h" is shorter than the longest gap between two runs (3d, from Friday to Monday): the Schedule will turn Overdue in every such gap though no run failed; to avoid it, set at least 3d plus how long a run takes, e.g. "3d1h"',
    ],
    ['0 9-17 * * *', '2h', /longest gap between two runs \(16h\): .*set at least 16h/],
    ['0 0 31 * *', '32d', /longest gap between two runs \(61d, from 31 March to 31 May\): .*e\.g\. "61d1h"/],
    ['*/15 9-17 * * 1-5', '1h', /longest gap between two runs \(2d15h15m, from Friday to Monday\)/],
  ])('warns (and accepts) when expectSuccessWithin is shorter than the longest gap of %s: %s', (schedule, expectSuccessWithin, message) => {
    expect(warningsOf({ schedule, expectSuccessWithin })).toEqual([
      { field: 'spec.expectSuccessWithin', message: typeof message === 'string' ? message : expect.stringMatching(message) },
    ]);
  });

  it.each([
    ['0 2 * * 1-5', '3d1h'],
    ['0 3 * * *', '25h'],
    ['0 9-17 * * *', '16h'],
  ])('does not warn when expectSuccessWithin covers the longest gap of %s: %s', (schedule, expectSuccessWithin) => {
    expect(warningsOf({ schedule, expectSuccessWithin })).toEqual([]);
    expect(warningsOf({ schedule })).toEqual([]);
  });

  it.each([
    ['-5m', /not a duration.*no sign/],
    ['1.5h', /not a duration.*no fractions/],
    ['5', /not a duration/],
    ['', /not a duration/],
    ['30s', /shorter than one minute: write at least "1m"/],
    ['0h', /shorter than one minute/],
    ['1000d', /longer than 366d: write at most "366d"/],
    ['999999d', /longer than 366d/],
  ])('refuses expectSuccessWithin %j with the fix', (expectSuccessWithin, message) => {
    expect(errorsOf({ schedule: '* * * * *', expectSuccessWithin })).toEqual([
      { field: 'spec.expectSuccessWithin', message: expect.stringMatching(message) },
    ]);
  });

  it('refuses pauseAfterConsecutiveFailures 0 and negative, naming the field and the fix', () => {
    for (const n of [0, -3]) {
      expect(errorsOf({ schedule: '* * * * *', pauseAfterConsecutiveFailures: n })).toEqual([
        {
          field: 'spec.pauseAfterConsecutiveFailures',
          message: 'must be at least 1 (pause after that many failed runs in a row); remove the field to never pause',
        },
      ]);
    }
    expect(errorsOf({ schedule: '* * * * *', pauseAfterConsecutiveFailures: 1.5 })).toEqual([
      { field: 'spec.pauseAfterConsecutiveFailures', message: 'must be a whole number' },
    ]);
  });

  it('refuses a runHistoryMaxAge that is no duration or absurdly long', () => {
    expect(errorsOf({ schedule: '* * * * *', runHistoryMaxAge: '30 days' })).toEqual([
      { field: 'spec.runHistoryMaxAge', message: expect.stringMatching(/not a duration.*"30d"/) },
    ]);
    expect(errorsOf({ schedule: '* * * * *', runHistoryMaxAge: '4000d' })).toEqual([
      { field: 'spec.runHistoryMaxAge', message: expect.stringMatching(/longer than 3660d/) },
    ]);
  });
});
