// The periodic resync, spread over its period (src/controller/resync.ts).
import { describe, expect, it } from 'vitest';
import { Resync } from '../../../src/controller/resync.js';
import { FakeClock } from '../../support/fake-clock.js';

function setup(keys: string[], slices = 4, periodMs = 40_000) {
  const clock = new FakeClock();
  const added: Array<{ at: number; key: string }> = [];
  const fleet = [...keys];
  const resync = new Resync({ clock, periodMs, slices, keys: () => fleet, add: (key) => added.push({ at: clock.monotonicMs(), key }) });
  return { clock, added, fleet, resync };
}

describe('Resync', () => {
  it('queues every key once per period, a slice at a time, never all at once', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `ns/s${i}`);
    const { clock, added, resync } = setup(keys);
    resync.start();
    await clock.advance(9_999);
    expect(added).toEqual([]); // the informers' initial lists queued everything at start
    await clock.advance(1);
    expect(added.map((a) => a.key)).toEqual(['ns/s0', 'ns/s4', 'ns/s8']);
    await clock.advance(30_000);
    expect(added.map((a) => a.key).sort()).toEqual([...keys].sort());
    const perTick = new Map<number, number>();
    for (const a of added) perTick.set(a.at, (perTick.get(a.at) ?? 0) + 1);
    expect([...perTick]).toEqual([
      [10_000, 3],
      [20_000, 3],
      [30_000, 2],
      [40_000, 2],
    ]);
    await clock.advance(40_000);
    expect(added).toHaveLength(20); // and again in the next period
  });

  it('takes the fleet as it is at the start of each period: a new Schedule comes up in the next one, a deleted one no more', async () => {
    const { clock, added, fleet, resync } = setup(['ns/a', 'ns/b'], 2, 20_000);
    resync.start();
    await clock.advance(10_000);
    fleet.push('ns/c');
    fleet.splice(0, 1); // ns/a deleted
    await clock.advance(10_000);
    expect(added.map((a) => a.key)).toEqual(['ns/a', 'ns/b']);
    await clock.advance(20_000);
    expect(added.map((a) => a.key)).toEqual(['ns/a', 'ns/b', 'ns/b', 'ns/c']);
  });

  it('stops', async () => {
    const { clock, added, resync } = setup(['ns/a']);
    resync.start();
    resync.stop();
    await clock.advance(100_000);
    expect(added).toEqual([]);
  });
});
