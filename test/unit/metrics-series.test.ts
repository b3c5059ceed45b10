// The hand-written exposition of the per-Schedule families: the text Prometheus reads (format 0.0.4), and the
// same series through samples(). Read by a real parser in test/integration/alerts.test.ts (promtool check metrics).
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesTable } from '../../src/metrics-series.js';

describe('SeriesTable', () => {
  it('writes HELP, TYPE and one line per series, as prom-client writes the same counter', async () => {
    const table = new SeriesTable();
    const mine = table.stored('demo_total', 'Demo\\ help\nsecond line', 'counter', ['namespace', 'schedule']);
    const registry = new Registry();
    const theirs = new Counter({
      name: 'demo_total',
      help: 'Demo\\ help\nsecond line',
      labelNames: ['namespace', 'schedule'],
      registers: [registry],
    });
    for (const [ns, name, by] of [
      ['a', 'x', 1],
      ['a', 'y"quoted"', 2],
      ['b', 'back\\slash\nnewline', 0],
      ['a', 'x', 3],
    ] as const) {
      mine.inc([ns, name], by);
      theirs.inc({ namespace: ns, schedule: name }, by);
    }
    expect(table.text()).toBe(await registry.metrics());
  });

  it('writes a family without series as its HELP and TYPE only, and nothing without families', () => {
    expect(new SeriesTable().text()).toBe('');
    const table = new SeriesTable();
    table.read('empty_gauge', 'nothing yet', ['namespace'], () => undefined);
    expect(table.text()).toBe('# HELP empty_gauge nothing yet\n# TYPE empty_gauge gauge\n');
  });

  it('sets, removes and lists stored series; read families are read at each scrape', () => {
    const table = new SeriesTable();
    const g = table.stored('last_seconds', 'h', 'gauge', ['result']);
    g.set(['Succeeded'], 5);
    g.set(['Failed'], 7);
    g.set(['Succeeded'], 6);
    g.remove(['Failed']);
    expect(table.samples('last_seconds')).toEqual([{ labels: { result: 'Succeeded' }, value: 6 }]);
    expect(table.stored('last_seconds', 'other help', 'gauge', ['result'])).toBe(g);
    let n = 1;
    table.read('live', 'h', ['k'], (emit) => emit(['v'], n));
    n = 2;
    expect(table.samples('live')).toEqual([{ labels: { k: 'v' }, value: 2 }]);
    expect(table.text()).toContain('live{k="v"} 2\n');
    expect(table.samples('missing')).toEqual([]);
  });
});
