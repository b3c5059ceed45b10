// The webhook over HTTPS: an express router (POST /validate-schedule) and a TLS server on its own port.
// The certificate (tls.crt, tls.key in --webhook-cert-dir, a mounted Secret) is re-read every minute, so a
// renewal by cert-manager takes effect without a restart.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { admit, type AdmissionReview, type AdmitDeps } from './admit.js';

export const WEBHOOK_PATH = '/validate-schedule';

export interface WebhookObserver {
  /** observe is called once per review with its duration and outcome (for metrics). */
  observe(seconds: number, allowed: boolean | 'error'): void;
}

/** webhookRouter serves AdmissionReviews at WEBHOOK_PATH. */
export function webhookRouter(deps: AdmitDeps, opts: { log?: Logger; observer?: WebhookObserver } = {}): Router {
  const router = express.Router();
  router.post(WEBHOOK_PATH, express.json({ limit: '3mb' }), async (req, res) => {
    const started = process.hrtime.bigint();
    const review = req.body as AdmissionReview;
    if (review?.kind !== 'AdmissionReview' || !review.request?.uid) {
      res.status(400).json({ message: 'expected an admission.k8s.io/v1 AdmissionReview with a request' });
      return;
    }
    try {
      const answer = await admit(review, deps);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      opts.observer?.observe(seconds, answer.response!.allowed);
      opts.log?.debug(
        {
          uid: review.request.uid,
          namespace: review.request.namespace,
          name: review.request.name,
          allowed: answer.response!.allowed,
          seconds,
        },
        'admission review',
      );
      res.json(answer);
    } catch (err) {
      opts.observer?.observe(Number(process.hrtime.bigint() - started) / 1e9, 'error');
      opts.log?.error({ err, uid: review.request.uid }, 'admission review failed');
      res.status(500).json({ message: `the schedule-operator webhook failed: ${(err as Error).message}` });
    }
  });
  return router;
}

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** certDir holds tls.crt and tls.key. */
  certDir: string;
  /** extra routers mounted before the webhook route (none by default). */
  app?: express.Express;
  reloadEveryMs?: number;
  log?: Logger;
}

function readPair(certDir: string): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')) };
  } catch (err) {
    throw new Error(
      `the webhook needs tls.crt and tls.key in --webhook-cert-dir=${certDir} (${(err as Error).message}); mount the webhook Secret there, or pass --webhook-bind-address=0 to turn the webhook off`,
    );
  }
}

/** startWebhookServer serves the router over HTTPS and resolves once it listens. */
export async function startWebhookServer(router: Router, opts: WebhookServerOptions): Promise<WebhookServer> {
  const app = opts.app ?? express();
  app.disable('x-powered-by');
  app.use(router);
  let pair = readPair(opts.certDir);
  const server = https.createServer({ ...pair, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = 30_000;
  const reload = setInterval(() => {
    try {
      const next = readPair(opts.certDir);
      if (!next.cert.equals(pair.cert) || !next.key.equals(pair.key)) {
        server.setSecureContext({ ...next, minVersion: 'TLSv1.2' });
        pair = next;
        opts.log?.info({ certDir: opts.certDir }, 'webhook certificate reloaded');
      }
    } catch (err) {
      opts.log?.warn({ err }, 'webhook certificate reload failed; keeping the current one');
    }
  }, opts.reloadEveryMs ?? 60_000);
  reload.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(reload);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
