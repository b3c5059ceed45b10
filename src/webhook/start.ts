// startWebhook: the admission webhook as the controller runs it (main.ts calls this when
// --webhook-bind-address is set). Every replica serves it, leader or not: it only reads.
// Metrics use controller-runtime's webhook names, so existing dashboards work.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Rest } from '../kube/rest.js';
import { cacheAccessReviews, type AccessCacheOptions } from './access-cache.js';
import type { AdmitDeps } from './admit.js';
import { webhookKube } from './kube.js';
import { WEBHOOK_PATH, startWebhookServer, webhookRouter, type WebhookServer } from './server.js';

export interface StartWebhookOptions {
  rest: Rest;
  host: string;
  port: number;
  certDir: string;
  checkJobPermission: boolean;
  minIntervalMinutes: number | undefined;
  allowPrivateCallbackTargets?: boolean | undefined;
  log: Logger;
  registry?: Registry;
}

/** webhookDeps: the webhook's questions to the API server, SubjectAccessReview answers cached (access-cache.ts). */
export function webhookDeps(
  rest: Rest,
  opts: {
    checkJobPermission: boolean;
    minIntervalMinutes: number | undefined;
    allowPrivateCallbackTargets?: boolean | undefined;
    accessCache?: AccessCacheOptions;
  },
): AdmitDeps {
  const kube = webhookKube(rest);
  return {
    ...kube,
    canCreateJobs: cacheAccessReviews(kube.canCreateJobs, opts.accessCache),
    checkJobPermission: opts.checkJobPermission,
    minIntervalMinutes: opts.minIntervalMinutes,
    allowPrivateCallbackTargets: opts.allowPrivateCallbackTargets,
  };
}

export async function startWebhook(opts: StartWebhookOptions): Promise<WebhookServer> {
  const registry = opts.registry ? [opts.registry] : [];
  const latency = new Histogram({
    name: 'controller_runtime_webhook_latency_seconds',
    help: 'Histogram of the latency of processing admission requests',
    labelNames: ['webhook'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: registry,
  });
  const requests = new Counter({
    name: 'controller_runtime_webhook_requests_total',
    help: 'Total number of admission requests by HTTP status code.',
    labelNames: ['webhook', 'code'],
    registers: registry,
  });
  const router = webhookRouter(
    webhookDeps(opts.rest, {
      checkJobPermission: opts.checkJobPermission,
      minIntervalMinutes: opts.minIntervalMinutes,
      allowPrivateCallbackTargets: opts.allowPrivateCallbackTargets,
    }),
    {
      log: opts.log.child({ component: 'webhook' }),
      observer: {
        observe(seconds, allowed) {
          latency.observe({ webhook: WEBHOOK_PATH }, seconds);
          requests.inc({ webhook: WEBHOOK_PATH, code: allowed === 'error' ? '500' : '200' });
        },
      },
    },
  );
  const server = await startWebhookServer(router, { host: opts.host, port: opts.port, certDir: opts.certDir, log: opts.log });
  opts.log.info(
    { address: `${opts.host}:${server.port}`, path: WEBHOOK_PATH, checkJobPermission: opts.checkJobPermission },
    'admission webhook listening (HTTPS)',
  );
  return server;
}
