import type http from 'node:http';
import express from 'express';
import { Registry, Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { close, createApp, listen } from '../../../src/server/app.js';

let server: http.Server | undefined;
afterEach(async () => {
  if (server) await close(server);
  server = undefined;
});

async function serve(app: express.Express): Promise<string> {
  server = await listen(app, { host: '127.0.0.1', port: 0 }, 'test');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('the health and metrics server', () => {
  it('answers /readyz 503 until the caches synced, then 200 - also for a standby that does not lead', async () => {
    let synced = false;
    const url = await serve(createApp({ probe: { synced: () => synced, leading: () => false, leaderElection: true } }));
    const before = await fetch(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ ready: false, cachesSynced: false, leaderElection: true, leading: false });
    synced = true;
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ ready: true, leading: false });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('serves the registry on /metrics and nothing it was not given', async () => {
    const registry = new Registry();
    new Counter({ name: 'probe_total', help: 'x', registers: [registry] }).inc(3);
    const url = await serve(createApp({ metrics: { contentType: registry.contentType, text: () => registry.metrics() } }));
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('probe_total 3');
    expect((await fetch(`${url}/readyz`)).status).toBe(404);
  });

  it('mounts extra routers (the webhook seam) next to the built-in endpoints', async () => {
    const router = express.Router();
    router.post('/validate', (_req, res) => void res.json({ allowed: true }));
    const url = await serve(createApp({ routes: [router] }));
    expect(await (await fetch(`${url}/validate`, { method: 'POST' })).json()).toEqual({ allowed: true });
  });

  it('names the address and the fix when the port is taken', async () => {
    const url = await serve(createApp({}));
    const port = Number(new URL(url).port);
    await expect(listen(createApp({}), { host: '127.0.0.1', port }, 'metrics')).rejects.toThrow(
      `cannot listen for metrics on 127.0.0.1:${port}: the port is in use`,
    );
  });
});
