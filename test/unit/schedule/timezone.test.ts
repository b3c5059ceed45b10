// Time zones are validated exactly as kube-apiserver validates CronJob .spec.timeZone (Go time.LoadLocation
// behind a name check), not as Node's Intl does (case-insensitive, canonicalizing).
import { describe, expect, it } from 'vitest';
import { KUBERNETES_TIME_ZONES, timeZoneProblem, utcOffsetSeconds } from '../../../src/schedule/timezone.js';
import { askOracle } from '../../cron-oracle/oracle.js';

describe('the zone list', () => {
  it("is exactly Go's embedded time zone database (the one kube-apiserver and kube-controller-manager embed)", () => {
    const [answer] = askOracle([{ kind: 'zones' }]);
    expect(answer!.error).toBeUndefined();
    expect([...KUBERNETES_TIME_ZONES].sort()).toEqual(answer!.zones);
  });
});

describe('timeZoneProblem agrees with kube-apiserver (the Go oracle)', () => {
  const NAMES = [
    ...KUBERNETES_TIME_ZONES,
    'europe/berlin',
    'EUROPE/BERLIN',
    'America/New_york',
    'utc',
    'Utc',
    'asia/calcutta',
    'Asia/Calcutta',
    'US/Eastern',
    'Etc/GMT+5',
    'Etc/GMT-14',
    'GMT+0',
    'EST5EDT',
    'Local',
    'local',
    'LOCAL',
    '',
    ' ',
    'UTC ',
    'Mars/Olympus',
    'Europe/Berlinn',
    '+05:00',
    'UTC+1',
    'America//New_York',
    '/UTC',
    'UTC/',
    '../etc/passwd',
    'Europe/../UTC',
    'Europe/-Berlin',
    'America/Argentina/ComodRivadavia',
    'Antarctica/DumontDUrville',
    'Africa/Averyveryverylongname',
    'US/Pacific-New',
  ];

  it(`on ${NAMES.length} names: every zone Go knows, case variants, aliases and junk`, () => {
    const answers = askOracle(NAMES.map((zone) => ({ kind: 'zone', zone })));
    const disagreements = NAMES.flatMap((name, i) => {
      const kube = answers[i]!.ok === true;
      const ours = timeZoneProblem(name) === undefined;
      return kube === ours
        ? []
        : [`${JSON.stringify(name)}: kube ${kube ? 'accepts' : `refuses (${answers[i]!.error})`}, we ${ours ? 'accept' : 'refuse'}`];
    });
    expect(disagreements).toEqual([]);
  });

  // Go also reads the host's /usr/share/zoneinfo first, where extra files may exist (posix/..., right/...,
  // posixrules, localtime). Whether a cluster accepts them depends on its images, so we refuse them: a
  // Schedule should not work on one cluster and fail on the next.
  it.each(['posixrules', 'localtime', 'posix/Europe/Berlin', 'right/UTC'])('refuses host-only zone file %s', (name) => {
    expect(timeZoneProblem(name)).toMatch(/unknown time zone/);
  });
});

describe('timeZoneProblem messages', () => {
  it('names the right spelling when only the case is wrong', () => {
    expect(timeZoneProblem('europe/berlin')).toBe(
      'unknown time zone "europe/berlin": names are case-sensitive in Kubernetes, write "Europe/Berlin"',
    );
  });
  it('refuses Local and says to write an explicit zone', () => {
    expect(timeZoneProblem('Local')).toMatch(/Kubernetes refuses it: write an explicit IANA name/);
  });
  it('refuses empty and says to leave it out for UTC', () => {
    expect(timeZoneProblem('')).toMatch(/must not be empty.*leave it out for UTC/);
  });
  it('accepts an alias exactly as Go spells it (Asia/Calcutta), where Intl would rename it', () => {
    expect(timeZoneProblem('Asia/Calcutta')).toBeUndefined();
  });
});

describe('utcOffsetSeconds', () => {
  it.each([
    ['Europe/Berlin', '2024-03-31T00:59:59Z', 3600],
    ['Europe/Berlin', '2024-03-31T01:00:00Z', 7200],
    ['Australia/Lord_Howe', '2024-10-05T15:29:59Z', 37_800],
    ['Australia/Lord_Howe', '2024-10-05T15:30:00Z', 39_600],
    ['Asia/Kathmandu', '2024-06-01T00:00:00Z', 20_700],
    ['America/St_Johns', '2024-01-01T00:00:00Z', -12_600],
    ['Factory', '2024-01-01T00:00:00Z', 0],
  ])('%s at %s is %d s', (zone, at, offset) => {
    expect(utcOffsetSeconds(zone, Date.parse(at) / 1000)).toBe(offset);
  });
});
