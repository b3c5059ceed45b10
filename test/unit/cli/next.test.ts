import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/types/io.js';
import { runNext } from '../../../src/cli/next.js';
import { nextRuns } from '../../../src/schedule/next.js';

const NOW = new Date('2024-10-26T12:00:00Z');

function run(...argv: string[]): { code: number; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Io = { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), now: () => NOW };
  const code = runNext(argv, io) as number;
  return { code, stdout, stderr };
}

describe('schedule-operator next: output', () => {
  it('prints the next 5 runs from now in UTC, one RFC3339 instant per line', () => {
    expect(run('0 * * * *')).toEqual({
      code: 0,
      stdout: ['2024-10-26T13:00:00Z', '2024-10-26T14:00:00Z', '2024-10-26T15:00:00Z', '2024-10-26T16:00:00Z', '2024-10-26T17:00:00Z'],
      stderr: [],
    });
  });

  it('shows the fall-back repeat in a time zone, exactly as nextRuns', () => {
    const r = run('30 2 * * *', '--time-zone', 'Europe/Berlin', '--count', '3');
    expect(r.stdout).toEqual(['2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z', '2024-10-28T01:30:00Z']);
    expect(r.stdout).toEqual(nextRuns('30 2 * * *', 'Europe/Berlin', NOW, 3).map((d) => d.toISOString().replace('.000Z', 'Z')));
  });

  it('takes --flag=value and --from', () => {
    expect(run('@daily', '--from=2024-03-30T12:00:00+01:00', '--count=2', '--time-zone=Asia/Kolkata').stdout).toEqual([
      '2024-03-30T18:30:00Z',
      '2024-03-31T18:30:00Z',
    ]);
  });

  it('accepts an interval', () => {
    expect(run('15m', '--count', '2').stdout).toEqual(['2024-10-26T12:15:00Z', '2024-10-26T12:30:00Z']);
  });

  it.each([
    [['weekdays 18:45'], ['2024-10-28T18:45:00Z', '2024-10-29T18:45:00Z']],
    [
      ['weekdays', '18:45'],
      ['2024-10-28T18:45:00Z', '2024-10-29T18:45:00Z'],
    ],
    [['hourly :15'], ['2024-10-26T12:15:00Z', '2024-10-26T13:15:00Z']],
    [['daily 3:30'], ['2024-10-27T03:30:00Z', '2024-10-28T03:30:00Z']],
    [['weekly mon 09:00'], ['2024-10-28T09:00:00Z', '2024-11-04T09:00:00Z']],
    [['monthly 15'], ['2024-11-15T00:00:00Z', '2024-12-15T00:00:00Z']],
  ])('accepts the preset %j', (words, expected) => {
    expect(run(...words, '--count', '2')).toEqual({ code: 0, stdout: expected, stderr: [] });
  });

  it('prints usage for --help', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(/^usage: schedule-operator next <schedule>/);
  });
});

describe('schedule-operator next: bad input is one line on stderr, exit 2, nothing on stdout', () => {
  it.each([
    [['0 0 * * 7'], /day-of-week 7 is not accepted by Kubernetes: write 0 \(or SUN\)/],
    [['0 0 31 2 *'], /can never run/],
    [['TZ=UTC 0 0 * * *'], /set spec.timeZone/],
    [['0 0 * * *', '--time-zone', 'europe/berlin'], /--time-zone: .*case-sensitive.*"Europe\/Berlin"/],
    [['0 0 * * *', '--time-zone', 'Local'], /--time-zone: .*explicit IANA name/],
    [['0 0 * * *', '--from', 'yesterday'], /--from "yesterday" is not an RFC3339 instant: write e.g. 2024-10-27T00:30:00Z/],
    [['0 0 * * *', '--from', '2024-02-30T00:00:00Z'], /--from/],
    [['0 0 * * *', '--count', '0'], /--count "0" must be a whole number from 1 to 1000/],
    [['0 0 * * *', '--count', '1001'], /--count "1001"/],
    [['0 0 * * *', '--count', 'five'], /--count "five"/],
    [['0 0 * * *', '--count'], /--count needs a value/],
    [['0 0 * * *', '--zone', 'UTC'], /unknown flag --zone: the flags are --time-zone, --from and --count/],
    [[], /the schedule is missing/],
    [['25m'], /Intervals that work/],
    [['daily 25:00'], /at: must be "HH:MM"/],
    [['weekly funday'], /sun..sat or 0-6/],
    [['monthly 32'], /dayOfMonth: must be at most 31/],
    [['@every 5m'], /spec.interval/],
  ])('%j', (argv, message) => {
    const r = run(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/^schedule-operator next: /);
    expect(r.stderr[0]).toMatch(message);
    expect(r.stderr[0]).not.toContain('\n');
  });
});

// The real command: ./bin/schedule-operator loads dist/cli.js, so compile first (tsc -p tsconfig.build.json).
// If the build fails because of someone else's in-progress file, the test fails and says so.
describe('./bin/schedule-operator next (the built command)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  it('prints runs and exits 0; bad input exits 2 with one stderr line', () => {
    const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    expect(tsc.status, `dist/ does not build: ${tsc.stdout}${tsc.stderr}`).toBe(0);
    expect(existsSync(join(root, 'dist/cli.js'))).toBe(true);
    const bin = join(root, 'bin/schedule-operator');
    const out = execFileSync(
      process.execPath,
      [bin, 'next', '30 2 * * *', '--time-zone', 'Europe/Berlin', '--from', '2024-10-26T12:00:00Z', '--count', '3'],
      { encoding: 'utf8' },
    );
    expect(out).toBe('2024-10-27T00:30:00Z\n2024-10-27T01:30:00Z\n2024-10-28T01:30:00Z\n');
    const bad = spawnSync(process.execPath, [bin, 'next', '0 0 * * 7'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  // `next` must start fast and work without a cluster: it may not load the Kubernetes client or any API code.
  // A module hook in the child records every module it loads (uses dist/ as built by the test above).
  it('loads no module of src/kube and not @kubernetes/client-node', () => {
    const hook = `import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(s, c, next) { const r = next(s, c); loaded.push(r.url); return r; } });
      process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n'));`;
    const r = spawnSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, join(root, 'bin/schedule-operator'), 'next', '30 2 * * *'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(
      r.stderr
        .split('\n')
        .find((l) => l.startsWith('LOADED '))!
        .slice(7),
    ) as string[];
    expect(loaded.some((u) => u.endsWith('/dist/cli/next.js'))).toBe(true);
    expect(
      loaded.filter((u) => u.includes('/dist/kube/') || u.includes('@kubernetes/client-node') || u.includes('/dist/controller/')),
    ).toEqual([]);
  }, 60_000);

  // src/node-http.ts: an ES import of node:http would load Node's bundled undici (13 MB of RSS for nothing).
  it("the controller (dist/main.js, with everything it imports) does not load Node's bundled undici", () => {
    const probe = `import(${JSON.stringify(join(root, 'dist/main.js'))}).then(() =>
      console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici')))))`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  }, 60_000);
});
