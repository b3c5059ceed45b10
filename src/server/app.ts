// The operator's HTTP endpoints (express): /healthz, /readyz and /metrics. Nothing else is served here;
// other features (the admission webhook) mount their own router through `routes`.
//
// Readiness: /readyz is 200 once the informer caches have synced, whether or not this replica leads.
// A standby with warm caches is healthy and ready to take over; failing its readiness would make a
// two-replica Deployment look broken and block rollouts (controller-runtime behaves the same way).
// Leadership is reported in the JSON body and in the leader_election_master_status metric.
import type { Server } from 'node:http';
import { http } from '../node-http.js';
import express, { type Router } from 'express';
import type { BindAddress } from '../config.js';
import type { Exposition } from '../metrics.js';

export interface Probe {
  /** synced is true once every informer cache has listed its resource. */
  synced(): boolean;
  /** leading is true while this replica holds the Lease (always true without leader election). */
  leading(): boolean;
  leaderElection: boolean;
}

export interface AppParts {
  probe?: Probe;
  /** metrics is served on /metrics. */
  metrics?: Exposition;
  /** routes are mounted as they are, after the built-in endpoints (the seam for the webhook). */
  routes?: Router[];
}

export function createApp(parts: AppParts): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const { probe, metrics } = parts;
  if (probe) {
    app.get('/healthz', (_req, res) => {
      res.type('text/plain').send('ok');
    });
    app.get('/readyz', (_req, res) => {
      const synced = probe.synced();
      const body = { ready: synced, cachesSynced: synced, leaderElection: probe.leaderElection, leading: probe.leading() };
      res.status(synced ? 200 : 503).json(body);
    });
  }
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      try {
        const text = await metrics.text();
        res.type(metrics.contentType).send(text);
      } catch (err) {
        res
          .status(500)
          .type('text/plain')
          .send(`could not collect metrics: ${(err as Error).message}`);
      }
    });
  }
  for (const r of parts.routes ?? []) app.use(r);
  return app;
}

/** listen binds the app to the address and resolves once it listens (rejects with a clear error). */
export function listen(app: express.Express, addr: BindAddress, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? 'the port is in use: choose another with the flag' : err.message;
      reject(new Error(`cannot listen for ${what} on ${addr.host}:${addr.port}: ${hint}`));
    });
    server.listen(addr.port, addr.host, () => resolve(server));
  });
}

/** close stops accepting connections and ends idle keep-alive ones. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
