import { describe, expect, it } from 'vitest';
import type { SchedulePreset } from '../../../src/api/schedule.js';
import { parseCron } from '../../../src/schedule/cron.js';
import { INTERVALS, intervalToCron, presetToCron } from '../../../src/schedule/forms.js';

describe('presetToCron', () => {
  it.each<[SchedulePreset, string]>([
    [{ frequency: 'hourly' }, '0 * * * *'],
    [{ frequency: 'hourly', minute: 15 }, '15 * * * *'],
    [{ frequency: 'daily' }, '0 0 * * *'],
    [{ frequency: 'daily', at: '03:30' }, '30 3 * * *'],
    [{ frequency: 'weekdays', at: '18:45' }, '45 18 * * 1-5'],
    [{ frequency: 'weekly', at: '09:00', dayOfWeek: 1 }, '0 9 * * 1'],
    [{ frequency: 'weekly' }, '0 0 * * 0'],
    [{ frequency: 'monthly', at: '23:59', dayOfMonth: 31 }, '59 23 31 * *'],
    [{ frequency: 'monthly' }, '0 0 1 * *'],
  ])('%j -> %s', (preset, cron) => {
    expect(presetToCron(preset)).toEqual({ ok: true, cron });
    expect(parseCron(cron).ok).toBe(true);
  });

  it('refuses a field the frequency does not read, naming the field and what to use instead', () => {
    expect(presetToCron({ frequency: 'daily', at: '03:00', minute: 5 })).toEqual({
      ok: false,
      errors: [
        {
          field: 'spec.preset.minute',
          message: 'minute applies only to frequency hourly; a daily preset takes its time from at: "HH:MM" (it reads at)',
        },
      ],
    });
  });

  it('reports every misplaced field at once', () => {
    const r = presetToCron({ frequency: 'hourly', at: '03:00', dayOfWeek: 2, dayOfMonth: 3 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.field)).toEqual(['spec.preset.at', 'spec.preset.dayOfWeek', 'spec.preset.dayOfMonth']);
    expect(!r.ok && r.errors[0]!.message).toMatch(/hourly preset reads minute/);
  });
});

describe('intervalToCron', () => {
  it.each([
    ['1m', '* * * * *'],
    ['5m', '*/5 * * * *'],
    ['15m', '*/15 * * * *'],
    ['30m', '*/30 * * * *'],
    ['60m', '0 * * * *'],
    ['1h', '0 * * * *'],
    ['2h', '0 */2 * * *'],
    ['8h', '0 */8 * * *'],
    ['12h', '0 */12 * * *'],
    ['120m', '0 */2 * * *'],
    ['24h', '0 0 * * *'],
    ['1d', '0 0 * * *'],
    ['1440m', '0 0 * * *'],
  ])('%s -> %s', (interval, cron) => {
    expect(intervalToCron(interval)).toEqual({ ok: true, cron });
  });

  it('compiles every interval it advertises', () => {
    for (const interval of INTERVALS) expect(intervalToCron(interval).ok).toBe(true);
  });

  it.each(['7m', '25m', '90m', '5h', '7h', '0m', '48h', '2d', '1w', '15', 'm', '1.5h', '15 m', '-5m'])(
    'refuses %s and lists the intervals that work',
    (interval) => {
      const r = intervalToCron(interval);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.errors).toEqual([
        {
          field: 'spec.interval',
          message: expect.stringContaining(
            'Intervals that work: 1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h',
          ),
        },
      ]);
    },
  );

  it('says why: an uneven interval drifts against the clock; a longer one belongs in a preset', () => {
    expect(!intervalToCron('25m').ok && (intervalToCron('25m') as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(
      /does not divide an hour or a day evenly/,
    );
    expect((intervalToCron('48h') as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(
      /use spec.preset \(weekly, monthly\)/,
    );
  });
});
