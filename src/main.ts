// Wiring: config -> kubeconfig -> REST -> KubeClient (counted, leader-gated) -> informers -> queue ->
// ScheduleController; HTTP endpoints; leader election; signals. `runController` resolves to the exit status.
//
// Start-up order: servers, informers (a standby keeps warm caches), then - once leading and synced -
// the workers. Stop order on SIGTERM/SIGINT: informers, in-flight reconciles, the Lease (released so a
// standby takes over at once), servers; then exit 0. Losing the Lease stops all writes at once and
// exits 1, as controller-runtime does, so the Deployment restarts the process as a fresh standby.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { realClock, type Timer } from './clock.js';
import type { Io } from './types/io.js';
import { configHelp, parseConfig, type Config } from './config.js';
import { Manager } from './controller/manager.js';
import { kubeClient } from './kube/client.js';
import { countWrites } from './kube/counting.js';
import { sendEventsInBackground } from './kube/event-sender.js';
import { gateWrites } from './kube/leader-gate.js';
import { LeaderElector } from './kube/lease.js';
import { loadKubeconfig, SERVICE_ACCOUNT_DIR, type RestConfig } from './kube/kubeconfig.js';
import { restClient, type Rest } from './kube/rest.js';
import { restListWatch } from './kube/watch.js';
import { createMetrics } from './metrics.js';
import { close, createApp, listen, type Probe } from './server/app.js';
import { startWebhook } from './webhook/start.js';
import type { WebhookServer } from './webhook/server.js';

const SA_NAMESPACE_FILE = join(SERVICE_ACCOUNT_DIR, 'namespace');
/** EVENT_FLUSH_MS: on shutdown, how long the Events still queued get to leave (src/kube/event-sender.ts). */
const EVENT_FLUSH_MS = 2000;

function leaseNamespace(config: Config, env: Record<string, string | undefined>): string {
  if (config.leaderElectionNamespace) return config.leaderElectionNamespace;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return 'default';
  }
}

/** identity names this process in the Lease and in Events: the pod name, or host name plus a random suffix. */
function identityOf(env: Record<string, string | undefined>): string {
  return env.POD_NAME || `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export async function runController(argv: string[], io: Io, env: Record<string, string | undefined> = process.env): Promise<number> {
  const parsed = parseConfig(argv, env);
  if (!parsed.ok) {
    if (parsed.help) {
      io.stdout(configHelp());
      return 0;
    }
    io.stderr(`schedule-operator: ${parsed.error}`);
    return 2;
  }
  const config = parsed.config;
  const log = pino({ level: config.logLevel, base: { component: 'schedule-operator' } }, pino.destination({ sync: true }));

  let kc: RestConfig;
  let rest: Rest;
  try {
    kc = loadKubeconfig({ kubeconfig: config.kubeconfig, env });
    rest = restClient(kc);
  } catch (err) {
    io.stderr(`schedule-operator: ${(err as Error).message}`);
    return 1;
  }

  const identity = identityOf(env);
  const registry = new Registry();
  const metrics = createMetrics(registry, { perSchedule: config.perScheduleMetrics });
  let leading = !config.leaderElect;
  const events = sendEventsInBackground(
    gateWrites(countWrites(kubeClient(rest, { instance: identity }), metrics.apiWrites), () => leading),
    {
      log,
      onDropped: (why) => metrics.eventsDropped.inc({ why }),
    },
  );
  const kube = events.client;
  const manager = new Manager({
    listWatch: (ref) => restListWatch(kc, rest, ref),
    kube,
    metrics,
    log,
    now: realClock.now,
    namespaces: config.watchNamespaces,
    workers: config.maxConcurrentReconciles,
    resyncPeriodMs: config.resyncPeriodMs,
    minIntervalMinutes: config.minIntervalMinutes,
    allowPrivateCallbackTargets: config.allowPrivateCallbackTargets,
  });

  const probe: Probe = { synced: () => manager.hasSynced(), leading: () => leading, leaderElection: config.leaderElect };
  const servers: http.Server[] = [];
  let webhook: WebhookServer | undefined;
  try {
    const m = config.metricsBindAddress;
    const h = config.healthProbeBindAddress;
    if (m && h && m.host === h.host && m.port === h.port) {
      servers.push(await listen(createApp({ probe, metrics }), m, 'metrics and health probes'));
    } else {
      if (m) servers.push(await listen(createApp({ metrics }), m, 'metrics (--metrics-bind-address)'));
      if (h) servers.push(await listen(createApp({ probe }), h, 'health probes (--health-probe-bind-address)'));
    }
    const w = config.webhookBindAddress;
    if (w) {
      // Its own connection pool: admissions never wait behind reconciles for a socket, nor the reverse.
      webhook = await startWebhook({
        rest: restClient(kc),
        host: w.host,
        port: w.port,
        certDir: config.webhookCertDir,
        checkJobPermission: config.webhookCheckJobPermission,
        minIntervalMinutes: config.minIntervalMinutes,
        allowPrivateCallbackTargets: config.allowPrivateCallbackTargets,
        log,
        registry,
      });
    }
  } catch (err) {
    await Promise.all(servers.map(close));
    await webhook?.close();
    io.stderr(`schedule-operator: ${(err as Error).message}`);
    return 1;
  }

  log.info(
    {
      identity,
      namespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all',
      leaderElect: config.leaderElect,
      resyncPeriodMs: config.resyncPeriodMs,
      workers: config.maxConcurrentReconciles,
      cluster: kc.server,
    },
    'starting',
  );
  manager.startInformers();

  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let elector: LeaderElector | undefined;
  let stopping = false;
  let syncWait: Timer | undefined;

  const startWorkersWhenSynced = () => {
    if (stopping) return;
    if (!manager.hasSynced()) {
      syncWait = realClock.setTimer(startWorkersWhenSynced, 100);
      return;
    }
    log.info('caches synced; reconciling');
    manager.startWorkers();
  };

  const shutdown = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason: why }, 'stopping');
    syncWait?.cancel();
    await manager.stop();
    await events.flush(EVENT_FLUSH_MS);
    if (code === 0) await elector?.stop();
    leading = false;
    metrics.leader.set({ name: config.leaderElectionId }, 0);
    await Promise.all(servers.map(close));
    await webhook?.close();
    log.info({ exitCode: code }, 'stopped');
    resolveExit(code);
  };

  if (config.leaderElect) {
    metrics.leader.set({ name: config.leaderElectionId }, 0);
    elector = new LeaderElector({
      rest,
      namespace: leaseNamespace(config, env),
      name: config.leaderElectionId,
      identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      log,
      onStartedLeading() {
        leading = true;
        metrics.leader.set({ name: config.leaderElectionId }, 1);
        startWorkersWhenSynced();
      },
      onStoppedLeading() {
        leading = false; // the write gate refuses from here on, even for reconciles in flight
        metrics.leader.set({ name: config.leaderElectionId }, 0);
        void shutdown(1, 'lost the leader Lease');
      },
    });
    elector.start();
  } else {
    metrics.leader.set({ name: config.leaderElectionId }, 1);
    startWorkersWhenSynced();
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    void shutdown(0, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const code = await exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  // Pooled keep-alive sockets may hold the event loop open for a while; do not wait for them.
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}
