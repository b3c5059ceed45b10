// The operator's settings: one zod schema, fed by flags and environment variables (flags win).
// Every flag --some-name has the environment variable SOME_NAME (KUBECONFIG for --kubeconfig).
// parseConfig never throws: a bad value becomes one line naming the flag, the env var and the fix.
import { z } from 'zod';

/** parseDuration reads a Go-style duration ("90s", "10m", "1h30m", "500ms") into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+(?:\.\d+)?)(ms|h|m|s))+$/.test(text.trim()) ? text.trim().match(/\d+(?:\.\d+)?(?:ms|h|m|s)/g) : null;
  if (!m) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return m.reduce((sum, part) => {
    const [, n, u] = part.match(/^(\d+(?:\.\d+)?)(ms|h|m|s)$/)!;
    return sum + Number(n) * unit[u!]!;
  }, 0);
}

/** BindAddress is where a server listens; undefined means the server is off ("0"). */
export interface BindAddress {
  host: string;
  port: number;
}

function parseBindAddress(text: string): BindAddress | undefined | 'bad' {
  if (text === '0') return undefined;
  const m = text.match(/^(\[[0-9a-fA-F:]+\]|[^:]*):(\d{1,5})$/);
  if (!m || Number(m[2]) > 65535) return 'bad';
  // ":8080" means every interface, as in Go; the defaults stay on the loopback interface.
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '0.0.0.0', port: Number(m[2]) };
}

const duration = (what: string) =>
  z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a ${what} duration; write it like 30s, 10m or 1h30m` });
      return z.NEVER;
    }
    return ms;
  });

const bindAddress = z.string().transform((s, ctx) => {
  const parsed = parseBindAddress(s);
  if (parsed === 'bad') {
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not an address; write host:port (127.0.0.1:8080), :port for every interface, or 0 to turn the server off`,
    });
    return z.NEVER;
  }
  return parsed;
});

const bool = z.string().transform((s, ctx) => {
  if (/^(true|1|yes|on)$/i.test(s)) return true;
  if (/^(false|0|no|off)$/i.test(s)) return false;
  ctx.addIssue({ code: 'custom', message: `"${s}" is not a boolean; write true or false` });
  return z.NEVER;
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** MAX_RESYNC_MS: 576 h, under the longest delay a Node timer can wait (2^31 - 1 ms, 24.8 days). */
const MAX_RESYNC_MS = 576 * 3_600_000;

/** The settings, each with its flag, its default and its help line (the types are the design doc). */
export const settings = {
  kubeconfig: {
    schema: z.string().min(1).optional(),
    default: undefined,
    help: 'kubeconfig: path to a kubeconfig file (default: $KUBECONFIG, then in-cluster, then ~/.kube/config)',
  },
  'watch-namespaces': {
    schema: z.string().transform((s, ctx) => {
      const list = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = list.find((n) => !DNS_LABEL.test(n) || n.length > 63);
      if (bad) {
        ctx.addIssue({
          code: 'custom',
          message: `"${bad}" is not a namespace name; give a comma-separated list of namespaces, or nothing for all`,
        });
        return z.NEVER;
      }
      return [...new Set(list)];
    }),
    default: '',
    help: 'watch-namespaces: comma-separated namespaces to watch; empty watches all namespaces',
  },
  'metrics-bind-address': {
    schema: bindAddress,
    default: '127.0.0.1:8080',
    help: 'metrics-bind-address: where /metrics listens (host:port; ":8080" = every interface; 0 = off)',
  },
  'health-probe-bind-address': {
    schema: bindAddress,
    default: '127.0.0.1:8081',
    help: 'health-probe-bind-address: where /healthz and /readyz listen (host:port; ":8081" = every interface; 0 = off)',
  },
  'leader-elect': {
    schema: bool,
    default: 'true',
    help: 'leader-elect: run reconciles only while holding the Lease, so replicas can stand by',
  },
  'leader-election-namespace': {
    schema: z.string().regex(DNS_LABEL, 'write a namespace name').optional(),
    default: undefined,
    help: 'leader-election-namespace: namespace of the Lease (default: the pod namespace, else "default")',
  },
  'leader-election-id': {
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'write a lower-case name such as schedule-operator-leader'),
    default: 'schedule-operator-leader',
    help: 'leader-election-id: name of the Lease',
  },
  'leader-election-lease-duration': {
    schema: duration('lease'),
    default: '15s',
    help: 'leader-election-lease-duration: how long standbys wait after the last renewal before taking over',
  },
  'leader-election-renew-deadline': {
    schema: duration('renew deadline'),
    default: '10s',
    help: 'leader-election-renew-deadline: how long the leader keeps trying to renew before it gives up leading',
  },
  'leader-election-retry-period': {
    schema: duration('retry period'),
    default: '2s',
    help: 'leader-election-retry-period: how often to try to acquire or renew the Lease',
  },
  // The resync is a safety net, not a heartbeat: watch events bring every change of a Schedule, its CronJob and
  // its Jobs, and each pass asks for the next one just after the Schedule's next run. What is left for it
  // to catch is a change the operator missed (a bug, a lost event), so it runs as rarely as controller-runtime's
  // (10 h). It is capped at 576h because Node timers cannot wait longer than 24.8 days.
  'resync-period': {
    schema: duration('resync').refine((ms) => ms <= MAX_RESYNC_MS, {
      message: 'write at most 576h (24 days); the default 10h suits almost every cluster',
    }),
    default: '10h',
    help: 'resync-period: a safety net: every Schedule is reconciled again at least this often, though watch events and its next run already bring every pass it needs',
  },
  'max-concurrent-reconciles': {
    schema: z.coerce.number().int('write a whole number').min(1, 'write at least 1').max(64, 'write at most 64'),
    default: '4',
    help: 'max-concurrent-reconciles: how many Schedules are reconciled at once',
  },
  'min-interval': {
    schema: z.string().transform((s, ctx) => {
      if (s === '' || s === '0' || s === 'off') return undefined;
      const ms = parseDuration(s);
      if (ms === undefined || ms % 60_000 !== 0) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a whole number of minutes; write it like 5m or 1h, or off` });
        return z.NEVER;
      }
      return ms / 60_000;
    }),
    default: 'off',
    help: 'min-interval: the shortest time allowed between two runs of a Schedule (e.g. 5m); off by default',
  },
  'log-level': {
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      message: 'write one of trace, debug, info, warn, error, fatal, silent',
    }),
    default: 'info',
    help: 'log-level: trace, debug, info, warn, error, fatal or silent',
  },
  'per-schedule-metrics': {
    schema: bool,
    default: 'true',
    help: 'per-schedule-metrics: label metrics with namespace and schedule; turn off for very large fleets',
  },
  'webhook-bind-address': {
    schema: bindAddress,
    default: '0',
    help: 'webhook-bind-address: where the validating admission webhook listens over HTTPS (host:port; ":9443" = every interface; 0 = off)',
  },
  'webhook-cert-dir': {
    schema: z.string().min(1, 'write a folder holding tls.crt and tls.key'),
    default: '/var/run/schedule-operator/webhook-certs',
    help: 'webhook-cert-dir: folder with the webhook serving certificate, tls.crt and tls.key (re-read every minute)',
  },
  'allow-private-callback-targets': {
    schema: bool,
    default: 'false',
    help: 'allow-private-callback-targets: let spec.notify callbacks go to loopback, link-local and metadata addresses (off: refused, so a Schedule cannot make the operator probe its own node)',
  },
  'webhook-check-job-permission': {
    schema: bool,
    default: 'true',
    help: 'webhook-check-job-permission: refuse Schedules from users who may not create Jobs in the namespace (SubjectAccessReview)',
  },
} as const;

type Settings = typeof settings;
export type FlagName = keyof Settings;
type Parsed<K extends FlagName> = z.output<Settings[K]['schema']>;

export interface Config {
  kubeconfig: string | undefined;
  watchNamespaces: string[];
  metricsBindAddress: BindAddress | undefined;
  healthProbeBindAddress: BindAddress | undefined;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resyncPeriodMs: number;
  maxConcurrentReconciles: number;
  minIntervalMinutes: number | undefined;
  logLevel: Parsed<'log-level'>;
  perScheduleMetrics: boolean;
  webhookBindAddress: BindAddress | undefined;
  webhookCertDir: string;
  webhookCheckJobPermission: boolean;
  allowPrivateCallbackTargets: boolean;
}

/** envName is the environment variable of a flag: --watch-namespaces -> WATCH_NAMESPACES. */
export const envName = (flag: FlagName): string => flag.toUpperCase().replace(/-/g, '_');

export type ConfigResult = { ok: true; config: Config } | { ok: false; help: true } | { ok: false; help?: false; error: string };

/** parseConfig reads flags (--name=value or --name value; a bare boolean flag means true) over env vars. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>): ConfigResult {
  const raw = new Map<FlagName, { value: string; source: string }>();
  for (const flag of Object.keys(settings) as FlagName[]) {
    const v = env[envName(flag)];
    if (v !== undefined && v !== '') raw.set(flag, { value: v, source: `env ${envName(flag)}` });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { ok: false, help: true };
    const m = arg.match(/^--?([a-z0-9-]+)(?:=(.*))?$/s);
    if (!m || !(m[1]! in settings)) {
      return { ok: false, error: `unknown flag or argument "${arg}"; run \`schedule-operator controller --help\` for the flags` };
    }
    const flag = m[1] as FlagName;
    let value = m[2];
    if (value === undefined) {
      const isBool = settings[flag].schema === bool;
      const next = argv[i + 1];
      if (isBool && (next === undefined || next.startsWith('-') || !/^(true|false)$/.test(next))) value = 'true';
      else if (next === undefined)
        return { ok: false, error: `flag --${flag} needs a value (env ${envName(flag)}): ${settings[flag].help}` };
      else value = argv[++i]!;
    }
    raw.set(flag, { value, source: `flag --${flag}` });
  }

  const values: Partial<Record<FlagName, unknown>> = {};
  for (const flag of Object.keys(settings) as FlagName[]) {
    const given = raw.get(flag);
    const input = given?.value ?? settings[flag].default;
    const parsed = (settings[flag].schema as z.ZodType).safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid value';
      const where = given ? given.source : `default of --${flag}`;
      return { ok: false, error: `${where}: ${why} (flag --${flag}, env ${envName(flag)})` };
    }
    values[flag] = parsed.data;
  }
  const v = values as { [K in FlagName]: Parsed<K> };
  const config: Config = {
    kubeconfig: v.kubeconfig,
    watchNamespaces: v['watch-namespaces'],
    metricsBindAddress: v['metrics-bind-address'],
    healthProbeBindAddress: v['health-probe-bind-address'],
    leaderElect: v['leader-elect'],
    leaderElectionNamespace: v['leader-election-namespace'],
    leaderElectionId: v['leader-election-id'],
    leaseDurationMs: v['leader-election-lease-duration'],
    renewDeadlineMs: v['leader-election-renew-deadline'],
    retryPeriodMs: v['leader-election-retry-period'],
    resyncPeriodMs: v['resync-period'],
    maxConcurrentReconciles: v['max-concurrent-reconciles'],
    minIntervalMinutes: v['min-interval'],
    logLevel: v['log-level'],
    perScheduleMetrics: v['per-schedule-metrics'],
    webhookBindAddress: v['webhook-bind-address'],
    webhookCertDir: v['webhook-cert-dir'],
    webhookCheckJobPermission: v['webhook-check-job-permission'],
    allowPrivateCallbackTargets: v['allow-private-callback-targets'],
  };
  if (config.leaderElect && !(config.leaseDurationMs > config.renewDeadlineMs && config.renewDeadlineMs > config.retryPeriodMs)) {
    return {
      ok: false,
      error:
        'leader election needs lease-duration > renew-deadline > retry-period (flags --leader-election-lease-duration, --leader-election-renew-deadline, --leader-election-retry-period); the defaults 15s, 10s, 2s work',
    };
  }
  return { ok: true, config };
}

/** configHelp lists every flag with its env var and default. */
export function configHelp(): string {
  const lines = (Object.keys(settings) as FlagName[]).map((flag) => {
    const s = settings[flag];
    const text = s.help.slice(s.help.indexOf(': ') + 2);
    const def = s.default === undefined || s.default === '' ? '' : ` (default ${s.default})`;
    return `  --${flag.padEnd(32)} ${text}${def}\n  ${''.padEnd(34)} env ${envName(flag)}`;
  });
  return `Usage: schedule-operator controller [flags]\n\nFlags (each also read from an environment variable; flags win):\n${lines.join('\n')}`;
}
