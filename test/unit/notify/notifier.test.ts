// Completion callbacks: the wire format, the signature, retries with backoff, timeouts, and which
// targets are refused. Receivers are real HTTP servers on 127.0.0.1.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/api/schedule.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { nextNotifyStatus } from '../../../src/notify/pending.js';
import { apiError, FakeKube } from '../../support/fake-kube.js';

const run = (n: number, result: Run['result'] = 'Succeeded'): Run => ({
  jobName: `nightly-${n}`,
  jobUID: `uid-${n}`,
  trigger: 'Scheduled',
  scheduledTime: '2026-03-02T10:00:00Z',
  startTime: '2026-03-02T10:00:01Z',
  completionTime: '2026-03-02T10:00:04Z',
  durationSeconds: 3,
  result,
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let servers: Server[] = [];
let notifiers: Notifier[] = [];
afterEach(async () => {
  for (const n of notifiers) n.stop();
  notifiers = [];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** receiver answers each request with the next status of `answers` (the last one repeats); 0 = never answer. */
async function receiver(answers: number[]): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = answers[Math.min(got.length - 1, answers.length - 1)]!;
      if (status === 0) return; // hang
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.closeAllConnections?.();
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, got };
}

function notifier(opts: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) {
  const secrets = new Map([['team-a/hook/key', 's3cret']]);
  const n = new Notifier({
    kube: {
      getSecretValue: async (ns, name, key) =>
        secrets.has(`${ns}/${name}/${key}`) ? Buffer.from(secrets.get(`${ns}/${name}/${key}`)!) : undefined,
    },
    log: pino({ level: 'silent' }),
    allowPrivateTargets: true,
    baseDelayMs: 20,
    maxDelayMs: 100,
    timeoutMs: 300,
    ...opts,
  });
  notifiers.push(n);
  return n;
}

async function until<T>(fn: () => T | undefined | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}

describe('callback delivery', () => {
  it('POSTs one CloudEvent per run, signed with HMAC-SHA256 of the body keyed by the Secret value', async () => {
    const r = await receiver([204]);
    const n = notifier();
    n.sync('team-a/nightly', { namespace: 'team-a', name: 'nightly', notify: { url: r.url, secretRef: { name: 'hook', key: 'key' } } }, [
      run(1),
      run(2, 'Failed'),
    ]);
    await until(() => n.report('team-a/nightly').delivered.length === 2);
    expect(r.got).toHaveLength(2);
    const first = r.got[0]!;
    expect(first.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    const expected = `sha256=${createHmac('sha256', 's3cret').update(first.body).digest('hex')}`;
    expect(first.headers['x-schedule-signature']).toBe(expected);
    expect(JSON.parse(first.body)).toMatchObject({
      specversion: '1.0',
      type: 'io.schedule-operator.run.finished',
      source: '/apis/schedule-operator.io/v1alpha1/namespaces/team-a/schedules/nightly',
      id: 'uid-1',
      data: {
        schedule: 'nightly',
        namespace: 'team-a',
        job: 'nightly-1',
        trigger: 'Scheduled',
        scheduledTime: '2026-03-02T10:00:00Z',
        durationSeconds: 3,
        result: 'Succeeded',
      },
    });
    expect(JSON.parse(r.got[1]!.body).data.result).toBe('Failed');
    expect(n.report('team-a/nightly')).toMatchObject({ lastError: undefined, busy: false });
  });

  it('retries with backoff: a receiver failing twice then succeeding gets the event, once successfully', async () => {
    const r = await receiver([500, 503, 200]);
    const n = notifier();
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: r.url } }, [run(1)]);
    await until(() => n.report('k').delivered.length === 1);
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => JSON.parse(g.body).id))).toEqual(new Set(['uid-1']));
    expect(r.got[0]!.headers['x-schedule-signature']).toBeUndefined(); // no secretRef, no signature
  });

  it('reports the failure while retrying', async () => {
    const r = await receiver([500]);
    const n = notifier({ baseDelayMs: 10_000 });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: r.url } }, [run(1)]);
    const report = await until(() => (n.report('k').lastError ? n.report('k') : undefined));
    expect(report).toMatchObject({ lastError: 'the receiver answered HTTP 500', busy: true, delivered: [] });
  });

  it('gives up an attempt after the timeout, and a hung receiver does not hold back another Schedule', async () => {
    const hung = await receiver([0]);
    const ok = await receiver([200]);
    const n = notifier({ baseDelayMs: 10_000, maxConcurrent: 1 });
    n.sync('hung', { namespace: 'team-a', name: 'a', notify: { url: hung.url } }, [run(1)]);
    n.sync('ok', { namespace: 'team-a', name: 'b', notify: { url: ok.url } }, [run(2)]);
    const start = Date.now();
    await until(() => n.report('ok').delivered.length === 1);
    expect(Date.now() - start).toBeLessThan(2000);
    await until(() => n.report('hung').lastError);
    expect(n.report('hung').lastError).toBe('the receiver did not answer within 300 ms');
  });

  it('names the Secret and key when the signing key is missing', async () => {
    const r = await receiver([200]);
    const n = notifier({ baseDelayMs: 10_000 });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: r.url, secretRef: { name: 'nope', key: 'key' } } }, [run(1)]);
    const err = await until(() => n.report('k').lastError);
    expect(err).toBe(
      'spec.notify.secretRef: Secret team-a/nope does not exist or has no key "key"; create it (kubectl create secret generic nope -n team-a --from-literal=key=<signing key>) or fix the reference',
    );
    expect(r.got).toHaveLength(0);
  });

  it('does not deliver again what it delivered until the reconciler forgets it', async () => {
    const r = await receiver([200]);
    const n = notifier();
    const target = { namespace: 'team-a', name: 'nightly', notify: { url: r.url } };
    n.sync('k', target, [run(1)]);
    await until(() => n.report('k').delivered.length === 1);
    n.sync('k', target, [run(1)]); // status not yet written: still pending there
    await new Promise((x) => setTimeout(x, 50));
    expect(r.got).toHaveLength(1);
    n.forget('k', ['uid-1']);
    expect(n.report('k')).toEqual({ delivered: [], lastError: undefined, busy: false });
  });

  it('does not deliver again when a pass on a stale cache still lists a run the reconciler forgot (CI regression: one duplicate delivery)', async () => {
    const r = await receiver([200, 200]);
    const n = notifier();
    const target = { namespace: 'team-a', name: 'nightly', notify: { url: r.url } };
    n.sync('k', target, [run(1)]);
    await until(() => n.report('k').delivered.length === 1);
    n.forget('k', ['uid-1']); // status written without uid-1 ...
    n.sync('k', target, [], [run(1)]); // ... the same pass hands over the new pending list; the cache still lists uid-1
    n.sync('k', target, [run(1)]); // the next pass read the status from before that write
    await new Promise((x) => setTimeout(x, 100));
    expect(r.got).toHaveLength(1);
    n.sync('k', target, [], []); // the cache caught up
    n.sync('k', target, [run(1)]); // a later listing of the same uid is a new fact: delivered again (at-least-once)
    await until(() => r.got.length === 2);
  });
});

describe('callback targets at delivery', () => {
  const lookupOf =
    (addresses: string[], asked: string[] = []) =>
    async (host: string) => {
      asked.push(host);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };

  it('refuses a name that resolves to loopback only at delivery: the listener on 127.0.0.1 gets nothing', async () => {
    const r = await receiver([200]);
    const port = new URL(r.url).port;
    const n = notifier({ allowPrivateTargets: false, baseDelayMs: 10_000, lookup: lookupOf(['127.0.0.1']) });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: `http://hooks.example.test.:${port}/hook` } }, [run(1)]);
    const err = await until(() => n.report('k').lastError);
    expect(err).toMatch(
      /^spec\.notify\.url: host hooks\.example\.test\. resolves to 127\.0\.0\.1, which is loopback; .*--allow-private-callback-targets$/,
    );
    expect(r.got).toHaveLength(0);
  });

  it.each([
    'http://127.0.0.1:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f.1:PORT/',
    'http://localhost.:PORT/',
  ])('refuses %s at delivery too (a Schedule admitted before the rule, or by an operator with another setting)', async (spelling) => {
    const r = await receiver([200]);
    const n = notifier({ allowPrivateTargets: false, baseDelayMs: 10_000 });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: spelling.replace('PORT', new URL(r.url).port) } }, [run(1)]);
    expect(await until(() => n.report('k').lastError)).toMatch(
      /^spec\.notify\.url: host .* (is loopback|is a loopback name|embeds 127\.0\.0\.1)/,
    );
    expect(r.got).toHaveLength(0);
  });

  it('connects to the address it checked, with the Host header of the URL, asking DNS once per attempt', async () => {
    const r = await receiver([200]);
    const asked: string[] = [];
    const port = new URL(r.url).port;
    // hooks.example.test does not resolve on this machine: only the checked address can have been used.
    const n = notifier({ allowPrivateTargets: true, lookup: lookupOf(['127.0.0.1'], asked) });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: `http://hooks.example.test:${port}/hook` } }, [run(1)]);
    await until(() => n.report('k').delivered.length === 1);
    expect(r.got[0]!.headers.host).toBe(`hooks.example.test:${port}`);
    expect(asked).toEqual(['hooks.example.test']);
  });

  it('keeps the URL host name as the TLS server name (SNI) while connecting to the checked address', async () => {
    const names: string[] = [];
    const server = createTlsServer({
      SNICallback: (name, cb) => {
        names.push(name);
        cb(new Error('no certificate here'));
      },
    });
    servers.push(server as unknown as Server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const n = notifier({ allowPrivateTargets: true, baseDelayMs: 10_000, lookup: lookupOf(['127.0.0.1']) });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: `https://hooks.example.test:${port}/hook` } }, [run(1)]);
    expect(await until(() => n.report('k').lastError)).toMatch(/^cannot reach the receiver/);
    expect(names).toEqual(['hooks.example.test']);
  });

  it('does not follow a redirect: a 3xx is a failed delivery that says so', async () => {
    const target = await receiver([200]);
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: target.url }).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const n = notifier({ baseDelayMs: 10_000 });
    n.sync(
      'k',
      { namespace: 'team-a', name: 'nightly', notify: { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/old` } },
      [run(1)],
    );
    const err = await until(() => n.report('k').lastError);
    expect(err).toBe(
      `the receiver answered HTTP 307 (a redirect to ${target.url}); redirects are not followed: set spec.notify.url to the address that accepts the POST`,
    );
    expect(target.got).toHaveLength(0);
  });

  it('bounds DNS resolution by the attempt timeout', async () => {
    const n = notifier({ allowPrivateTargets: false, baseDelayMs: 10_000, lookup: () => new Promise(() => {}) });
    n.sync('k', { namespace: 'team-a', name: 'nightly', notify: { url: 'https://slow-dns.example.test/' } }, [run(1)]);
    expect(await until(() => n.report('k').lastError)).toBe(
      'spec.notify.url: resolving the host took longer than 300 ms; deliveries are retried',
    );
  });
});

describe('spec.notify.secretRef the operator cannot use', () => {
  class SecretsKube extends FakeKube {
    override async getSecretValue(namespace: string, name: string, key: string): Promise<Buffer | undefined> {
      if (name === 'forbidden')
        throw apiError(
          403,
          'Forbidden',
          `secrets "forbidden" is forbidden: User "system:serviceaccount:schedule-operator:schedule-operator" cannot get resource "secrets" in API group "" in the namespace "${namespace}"`,
        );
      if (name === 'flaky') throw apiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      return super.getSecretValue(namespace, name, key);
    }
  }

  it.each([
    [
      'forbidden',
      /^spec\.notify\.secretRef: the operator may not read Secret team-a\/forbidden \(403 Forbidden\); grant its ServiceAccount get on secrets in namespace team-a .*or remove spec\.notify\.secretRef/,
    ],
    [
      'missing',
      /^spec\.notify\.secretRef: Secret team-a\/missing does not exist or has no key "key"; create it \(kubectl create secret generic missing -n team-a --from-literal=key=<signing key>\) or fix the reference$/,
    ],
    [
      'flaky',
      /^spec\.notify\.secretRef: cannot read Secret team-a\/flaky \(the server is currently unable to handle the request\); deliveries are retried$/,
    ],
  ])(
    'a Secret that is %s fails the delivery with a message naming the field and the fix; other Schedules are delivered',
    async (secret, message) => {
      const kube = new SecretsKube();
      kube.secrets.set('team-a/hook/key', 's3cret');
      const r = await receiver([200]);
      const n = notifier({ kube, baseDelayMs: 10_000 });
      n.sync('team-a/bad', { namespace: 'team-a', name: 'bad', notify: { url: r.url, secretRef: { name: secret, key: 'key' } } }, [run(1)]);
      n.sync('team-a/good', { namespace: 'team-a', name: 'good', notify: { url: r.url, secretRef: { name: 'hook', key: 'key' } } }, [
        run(2),
      ]);
      expect(await until(() => n.report('team-a/bad').lastError)).toMatch(message);
      await until(() => n.report('team-a/good').delivered.length === 1);
      expect(r.got.map((g) => JSON.parse(g.body).id)).toEqual(['uid-2']); // nothing unsigned went out for "bad"
      expect(n.report('team-a/bad')).toMatchObject({ busy: true, delivered: [] }); // still owed, retried later
    },
  );
});

describe('status.notify', () => {
  const idle = { delivered: [], lastError: undefined, busy: false };

  it('adds counted runs the spec wants, oldest first, and drops delivered ones', () => {
    const spec = { url: 'https://x.test/', on: ['Failed' as const] };
    const s1 = nextNotifyStatus(undefined, spec, [run(1), run(2, 'Failed'), run(3, 'Failed')], idle);
    expect(s1?.pending?.map((r) => r.jobName)).toEqual(['nightly-2', 'nightly-3']);
    const s2 = nextNotifyStatus(s1, spec, [], {
      delivered: [{ uid: 'uid-2', time: '2026-03-02T10:01:00Z' }],
      lastError: undefined,
      busy: true,
    });
    expect(s2).toEqual({ pending: [run(3, 'Failed')], lastDeliveredJobUID: 'uid-2', lastDeliveredTime: '2026-03-02T10:01:00Z' });
  });

  it('keeps at most 50 pending callbacks and says how many it dropped', () => {
    const many = Array.from({ length: 60 }, (_, i) => run(i));
    const s = nextNotifyStatus(undefined, { url: 'https://x.test/' }, many, idle);
    expect(s?.pending).toHaveLength(50);
    expect(s?.pending?.[0]?.jobName).toBe('nightly-10');
    expect(s?.dropped).toBe(10);
  });

  it('is absent when spec.notify is removed', () => {
    expect(nextNotifyStatus({ pending: [run(1)] }, undefined, [], idle)).toBeUndefined();
  });
});
