import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configHelp, parseConfig, parseDuration, settings } from '../../src/config.js';

const ok = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseConfig(argv, env);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.config;
};
const error = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseConfig(argv, env);
  if (r.ok || r.help) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('parseConfig', () => {
  it('has production defaults: leader election on, 10h resync, servers on the loopback interface', () => {
    expect(ok([])).toMatchObject({
      kubeconfig: undefined,
      watchNamespaces: [],
      metricsBindAddress: { host: '127.0.0.1', port: 8080 },
      healthProbeBindAddress: { host: '127.0.0.1', port: 8081 },
      leaderElect: true,
      leaderElectionNamespace: undefined,
      leaderElectionId: 'schedule-operator-leader',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      resyncPeriodMs: 36_000_000,
      maxConcurrentReconciles: 4,
      minIntervalMinutes: undefined,
      logLevel: 'info',
      perScheduleMetrics: true,
      webhookBindAddress: undefined,
      webhookCertDir: '/var/run/schedule-operator/webhook-certs',
      webhookCheckJobPermission: true,
    });
  });

  it('reads every setting from its environment variable, and a flag wins over the variable', () => {
    const c = ok(['--resync-period=5s', '--leader-elect=false'], {
      WATCH_NAMESPACES: 'a, b,a',
      RESYNC_PERIOD: '1h',
      LEADER_ELECT: 'true',
      LOG_LEVEL: 'debug',
      KUBECONFIG: '/tmp/kc',
      MIN_INTERVAL: '5m',
      PER_SCHEDULE_METRICS: 'off',
      MAX_CONCURRENT_RECONCILES: '8',
    });
    expect(c).toMatchObject({
      watchNamespaces: ['a', 'b'],
      resyncPeriodMs: 5000,
      leaderElect: false,
      logLevel: 'debug',
      kubeconfig: '/tmp/kc',
      minIntervalMinutes: 5,
      perScheduleMetrics: false,
      maxConcurrentReconciles: 8,
    });
  });

  it('takes flag values after a space, a bare boolean flag as true, and ":port" as every interface', () => {
    const c = ok(['--watch-namespaces', 'team-a', '--leader-elect', '--metrics-bind-address', ':9090', '--health-probe-bind-address=0']);
    expect(c).toMatchObject({
      watchNamespaces: ['team-a'],
      leaderElect: true,
      metricsBindAddress: { host: '0.0.0.0', port: 9090 },
      healthProbeBindAddress: undefined,
    });
  });

  it.each([
    [
      ['--resync-period=10'],
      {},
      'flag --resync-period: "10" is not a resync duration; write it like 30s, 10m or 1h30m (flag --resync-period, env RESYNC_PERIOD)',
    ],
    [[], { RESYNC_PERIOD: 'soon' }, 'env RESYNC_PERIOD: "soon" is not a resync duration'],
    [['--metrics-bind-address=8080'], {}, 'flag --metrics-bind-address: "8080" is not an address; write host:port'],
    [['--leader-elect=maybe'], {}, 'flag --leader-elect: "maybe" is not a boolean; write true or false'],
    [[], { LEADER_ELECT: 'maybe' }, 'env LEADER_ELECT: "maybe" is not a boolean'],
    [['--watch-namespaces=Team_A'], {}, '"Team_A" is not a namespace name'],
    [['--max-concurrent-reconciles=0'], {}, 'flag --max-concurrent-reconciles: write at least 1'],
    [['--max-concurrent-reconciles=two'], {}, 'flag --max-concurrent-reconciles'],
    [['--min-interval=90s'], {}, '"90s" is not a whole number of minutes'],
    [['--log-level=loud'], {}, 'flag --log-level: write one of trace, debug, info'],
    [['--leader-election-lease-duration=5s'], {}, 'lease-duration > renew-deadline > retry-period'],
    [['--bogus'], {}, 'unknown flag or argument "--bogus"; run `schedule-operator controller --help`'],
    [['extra'], {}, 'unknown flag or argument "extra"'],
    [['--resync-period'], {}, 'flag --resync-period needs a value (env RESYNC_PERIOD)'],
    [['--resync-period=600h'], {}, 'flag --resync-period: write at most 576h (24 days)'],
  ])('rejects %j %j with a line naming the flag or variable and the fix', (argv, env, message) => {
    const e = error(argv, env as Record<string, string>);
    expect(e).toContain(message);
    expect(e).not.toContain('\n');
  });

  it('asks for help on --help', () => {
    expect(parseConfig(['--help'], {})).toEqual({ ok: false, help: true });
  });

  it('lists every flag with its environment variable in the help', () => {
    const help = configHelp();
    for (const flag of Object.keys(settings)) expect(help).toContain(`--${flag}`);
    expect(help).toContain('env WATCH_NAMESPACES');
    expect(help).toContain('env KUBECONFIG');
  });

  it('has every flag documented in docs/operator.md', () => {
    const doc = readFileSync(new URL('../../docs/operator.md', import.meta.url), 'utf8');
    const missing = Object.keys(settings).filter((flag) => !doc.includes(`--${flag} `));
    expect(missing, 'paste the output of `schedule-operator controller --help` into docs/operator.md').toEqual([]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['5s', 5000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['10', undefined],
    ['m', undefined],
    ['5 m', undefined],
  ])('reads %s as %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
