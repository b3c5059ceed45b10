// The callback target guard against the real control plane and the real operator process, which runs with its
// default setting (no --allow-private-callback-targets). A real HTTP listener on 127.0.0.1 must receive nothing:
// Schedules naming it in many spellings are created without the webhook and must end InvalidSpec naming
// spec.notify.url; a host name that passes admission but resolves to loopback is refused when a run finishes.
// Also bad input: a 100 KiB notify.url, and a notify.secretRef naming a Secret that does not exist.
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, schedulesPath } from '../support/kube.js';
import { applySchedule, requestRun, waitCounted, waitHandled, waitReady } from './ledger-helpers.js';

const env = useOperatorNamespace('callback-guard', { ledgerPolicy: true, env: { LOG_LEVEL: 'info' } });

let server: Server;
let port = 0;
let connections = 0;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(200).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const spellings = [
  ['mapped-dotted', 'http://[::ffff:127.0.0.1]:PORT/hook'],
  ['mapped-hex', 'http://[::ffff:7f00:1]:PORT/hook'],
  ['decimal', 'http://2130706433:PORT/hook'],
  ['hex-short', 'http://0x7f.1:PORT/hook'],
  ['octal', 'http://0177.0.0.1:PORT/hook'],
  ['short', 'http://127.1:PORT/hook'],
  ['compatible', 'http://[::127.0.0.1]:PORT/hook'],
  ['nat64', 'http://[64:ff9b::127.0.0.1]:PORT/hook'],
  ['localhost-dot', 'http://localhost.:PORT/hook'],
  ['localhost-upper', 'http://LOCALHOST:PORT/hook'],
] as const;

const url = (spelling: string) => spelling.replace('PORT', String(port));

describe('callback target guard (operator without --allow-private-callback-targets)', () => {
  it('reports InvalidSpec naming spec.notify.url for every spelling of the listener on 127.0.0.1, and makes no CronJob', async () => {
    for (const [name, spelling] of spellings) await applySchedule(env.kube, env.ns, `to-${name}`, { notify: { url: url(spelling) } });
    for (const [name] of spellings) {
      const ready = await eventually(
        `Schedule to-${name} to report InvalidSpec`,
        async () => {
          const s = await env.kube.get(schedulesPath(env.ns, `to-${name}`));
          const c = s?.status?.conditions?.find((x: any) => x.type === 'Ready');
          return c?.reason === 'InvalidSpec' ? c : undefined;
        },
        30_000,
      );
      expect(ready.status).toBe('False');
      expect(ready.message).toMatch(
        /^spec\.notify\.url: host \S+ (is loopback|is a loopback name|embeds 127\.0\.0\.1 \([^)]+\), which is loopback); .*--allow-private-callback-targets/,
      );
      expect(await env.kube.get(cronJobsPath(env.ns, `to-${name}`))).toBeUndefined();
    }
  });

  it('refuses a host name that passes admission but resolves to loopback, when the run finishes', async (ctx) => {
    // This machine's own name usually resolves to a loopback address (/etc/hosts); the rule only sees it at delivery.
    const name = hostname().toLowerCase();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || !addresses.every((a) => ipaddr.parse(a.address).range() === 'loopback')) {
      ctx.skip();
      return;
    }
    await applySchedule(env.kube, env.ns, 'by-name', { notify: { url: `http://${name}:${port}/hook` } });
    await waitReady(env.kube, env.ns, 'by-name');
    await requestRun(env.kube, env.ns, 'by-name', 'by-name-1');
    await waitHandled(env.kube, env.ns, 'by-name', 'by-name-1');
    await waitCounted(env.kube, env.ns, 'by-name', 1);
    const s = await eventually(
      'status.notify.lastError for by-name',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'by-name'));
        return s?.status?.notify?.lastError ? s : undefined;
      },
      30_000,
    );
    expect(s.status.notify.lastError).toMatch(
      new RegExp(`^spec\\.notify\\.url: host ${name} resolves to \\S+, which is loopback; .*--allow-private-callback-targets`),
    );
    expect(s.status.notify.pending).toHaveLength(1); // still owed, not lost
  });

  it('a notify.secretRef naming a missing Secret fails the delivery with a message naming the field; the Schedule stays readable and Ready', async () => {
    // 192.0.2.1 (TEST-NET-1) is an allowed target; the key is read before any connection is made.
    await applySchedule(env.kube, env.ns, 'no-secret', {
      notify: { url: 'http://192.0.2.1:9/hook', secretRef: { name: 'absent', key: 'hmac' } },
    });
    await waitReady(env.kube, env.ns, 'no-secret');
    await requestRun(env.kube, env.ns, 'no-secret', 'no-secret-1');
    await waitHandled(env.kube, env.ns, 'no-secret', 'no-secret-1');
    await waitCounted(env.kube, env.ns, 'no-secret', 1);
    const s = await eventually(
      'status.notify.lastError for no-secret',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'no-secret'));
        return s?.status?.notify?.lastError ? s : undefined;
      },
      30_000,
    );
    expect(s.status.notify.lastError).toBe(
      `spec.notify.secretRef: Secret ${env.ns}/absent does not exist or has no key "hmac"; create it (kubectl create secret generic absent -n ${env.ns} --from-literal=hmac=<signing key>) or fix the reference`,
    );
    expect(s.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
  });

  it('refuses a 100 KiB notify.url at the API server, naming the field and the limit', async () => {
    const err = await applySchedule(env.kube, env.ns, 'huge-url', {
      notify: { url: `https://hooks.example.com/${'a'.repeat(100 * 1024)}` },
    }).catch((e) => e);
    expect(err?.statusCode).toBe(422);
    expect(err.message).toMatch(/spec\.notify\.url: Too long: may not be (longer|more) than 2048/);
    expect(err.message.length).toBeLessThan(2000);
  });

  it('the listener on 127.0.0.1 got no connection at all, and the operator is still running', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // a retry may be under way
    expect({ connections, requests }).toEqual({ connections: 0, requests: 0 });
    expect(env.operator?.child.exitCode).toBeNull();
  });
});
