// restListWatch without a cluster: a scripted Rest for the paginated list, a local HTTP server for the watch
// stream, and fake timers for the silent-watch watchdog (no test sleeps for minutes).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RestConfig } from '../../../src/kube/kubeconfig.js';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../../../src/kube/informer.js';
import { ApiError, type Rest } from '../../../src/kube/rest.js';
import {
  HEARTBEAT_SILENCE_MS,
  LineSplitter,
  restListWatch,
  SilentWatchError,
  SILENCE_GRACE_MS,
  Watchdog,
  type KObject,
  type WatchEventType,
} from '../../../src/kube/watch.js';
import { FakeClock, flush } from '../../support/fake-clock.js';

const ref = { path: '/apis/batch/v1/namespaces/ns/jobs', apiVersion: 'batch/v1', kind: 'Job' };

describe('Watchdog', () => {
  it('fires once no kick came for the limit, counted from the last kick', async () => {
    const t = new FakeClock();
    const fired: number[] = [];
    const dog = new Watchdog(t, 1000, (ms) => fired.push(ms));
    await t.advance(600);
    dog.kick();
    await t.advance(999);
    expect(fired).toEqual([]);
    await t.advance(1);
    expect(fired).toEqual([1000]);
    await t.advance(10_000);
    expect(fired).toHaveLength(1);
    expect(t.timerCount()).toBe(0);
  });

  it('stop cancels', async () => {
    const t = new FakeClock();
    const fired: number[] = [];
    const dog = new Watchdog(t, 100, (ms) => fired.push(ms));
    dog.stop();
    await t.advance(1000);
    expect(fired).toEqual([]);
    expect(t.timerCount()).toBe(0);
  });
});

describe('LineSplitter', () => {
  it('cuts lines across chunks, including a multi-byte character split between chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter();
    const bytes = Buffer.from('{"a":1}\n{"b":"ä€"}\n\n{"c"', 'utf8');
    const cut = bytes.indexOf(Buffer.from('€')) + 1; // inside the 3-byte euro sign
    s.push(bytes.subarray(0, 3), (l) => lines.push(l) > 0);
    s.push(bytes.subarray(3, cut), (l) => lines.push(l) > 0);
    s.push(bytes.subarray(cut), (l) => lines.push(l) > 0);
    s.push(Buffer.from(':3}\n'), (l) => lines.push(l) > 0);
    expect(lines).toEqual(['{"a":1}', '{"b":"ä€"}', '', '{"c":3}']);
  });

  it('stops at once when the line handler says so', () => {
    const lines: string[] = [];
    new LineSplitter().push(Buffer.from('a\nb\nc\n'), (l) => (lines.push(l), false));
    expect(lines).toEqual(['a']);
  });
});

/** pages answers list requests from a script and records their queries. */
function scriptedRest(answers: Array<unknown | Error>): Rest & { queries: Array<Record<string, string | undefined>> } {
  const queries: Array<Record<string, string | undefined>> = [];
  return {
    queries,
    async request<T>(_m: string, _p: string, o?: { query?: Record<string, string | undefined> }): Promise<T> {
      queries.push(o?.query ?? {});
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer scripted');
      if (next instanceof Error) throw next;
      return next as T;
    },
  };
}

const job = (name: string, rv: string) => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, managedFields: [{ manager: 'x' }] },
  spec: { backoffLimit: 0, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  status: { succeeded: 1 },
});

describe('restListWatch: the initial list', () => {
  it('lists in pages of `limit` items following continue tokens, and shapes every item for the cache', async () => {
    const rest = scriptedRest([
      { items: [job('a', '1'), job('b', '2')], metadata: { resourceVersion: '10', continue: 'c1' } },
      { items: [job('c', '3')], metadata: { resourceVersion: '10' } },
    ]);
    const lw = restListWatch<KObject>({} as RestConfig, rest, { ...ref, labelSelector: 'l=v' }, { pageSize: 2 });
    const listed = await lw.list();
    expect(rest.queries).toEqual([
      { labelSelector: 'l=v', limit: '2', continue: undefined },
      { labelSelector: 'l=v', limit: '2', continue: 'c1' },
    ]);
    expect(listed.resourceVersion).toBe('10');
    expect(listed.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(listed.items[0]).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '1' },
      spec: { backoffLimit: 0 },
      status: { succeeded: 1 },
    });
  });

  it('starts over from the first page when a continue token expired (410), then gives up after 3 restarts', async () => {
    const expired = new ApiError(410, 'Expired', 'The provided continue parameter is too old');
    const rest = scriptedRest([
      { items: [job('a', '1')], metadata: { resourceVersion: '10', continue: 'c1' } },
      expired,
      { items: [job('a', '1')], metadata: { resourceVersion: '20', continue: 'c2' } },
      { items: [job('b', '15')], metadata: { resourceVersion: '20' } },
    ]);
    const listed = await restListWatch<KObject>({} as RestConfig, rest, ref, { pageSize: 1 }).list();
    expect(rest.queries.map((q) => q.continue)).toEqual([undefined, 'c1', undefined, 'c2']);
    expect(listed).toMatchObject({ resourceVersion: '20', items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] });

    const always = scriptedRest([
      { items: [], metadata: { resourceVersion: '1', continue: 'x' } },
      expired,
      { items: [], metadata: { resourceVersion: '1', continue: 'x' } },
      expired,
      { items: [], metadata: { resourceVersion: '1', continue: 'x' } },
      expired,
      { items: [], metadata: { resourceVersion: '1', continue: 'x' } },
      expired,
    ]);
    await expect(restListWatch<KObject>({} as RestConfig, always, ref).list()).rejects.toBe(expired);
    expect(always.queries).toHaveLength(8);
  });
});

/** A local API server for watches: each request waits until the test writes to (or ends) it. */
class WatchServer {
  requests: Array<{ url: URL; res: http.ServerResponse; closed: boolean }> = [];
  private server = http.createServer((req, res) => {
    const entry = { url: new URL(req.url!, 'http://x'), res, closed: false };
    req.on('close', () => (entry.closed = true));
    this.requests.push(entry);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
  });

  async start(): Promise<RestConfig> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    return { server: `http://127.0.0.1:${port}`, applyTo: async () => undefined } as unknown as RestConfig;
  }

  send(i: number, type: string, object: unknown, split = false): void {
    const line = Buffer.from(`${JSON.stringify({ type, object })}\n`);
    if (!split) return void this.requests[i]!.res.write(line);
    this.requests[i]!.res.write(line.subarray(0, 7));
    this.requests[i]!.res.write(line.subarray(7));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** until waits (in real time) for a condition that real I/O makes true. */
async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let server: WatchServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('restListWatch: the watch stream', () => {
  it('asks for bookmarks and a server timeout, and hands over events shaped for the cache (split lines too)', async () => {
    server = new WatchServer();
    const kc = await server.start();
    const events: Array<[WatchEventType, KObject]> = [];
    const lw = restListWatch<KObject>(
      kc,
      {} as Rest,
      { ...ref, labelSelector: 'l=v' },
      { clock: new FakeClock(), timeoutSeconds: () => 300 },
    );
    const handle = lw.watch('42', (type, o) => events.push([type, o]));
    await until('the watch request', () => server!.requests.length === 1);
    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: '42',
      timeoutSeconds: '300',
      labelSelector: 'l=v',
    });
    server.send(0, 'ADDED', job('a', '43'), true);
    server.send(0, 'BOOKMARK', { kind: 'Job', apiVersion: 'batch/v1', metadata: { resourceVersion: '50' } });
    await until('two events', () => events.length === 2);
    expect(events[0]).toEqual([
      'ADDED',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'a', namespace: 'ns', resourceVersion: '43' },
        spec: { backoffLimit: 0 },
        status: { succeeded: 1 },
      },
    ]);
    expect(events[1]![0]).toBe('BOOKMARK');
    server.requests[0]!.res.end();
    await handle.done;
  });

  it('gives up on a watch that stays silent past a short timeoutSeconds + grace, and closes its connection', async () => {
    server = new WatchServer();
    const kc = await server.start();
    const timers = new FakeClock();
    const lw = restListWatch<KObject>(kc, {} as Rest, ref, { clock: timers, timeoutSeconds: () => 60 });
    const handle = lw.watch('42', () => undefined);
    let outcome: unknown = 'pending';
    handle.done.then(
      () => (outcome = 'ended'),
      (err) => (outcome = err),
    );
    await until('the watch request', () => server!.requests.length === 1);
    server.send(0, 'ADDED', job('a', '43'));
    await new Promise((r) => setTimeout(r, 20)); // the bytes arrive
    await timers.advance(60_000 + SILENCE_GRACE_MS - 1);
    expect(outcome).toBe('pending');
    await timers.advance(1);
    expect(outcome).toBeInstanceOf(SilentWatchError);
    expect((outcome as Error).message).toContain('watch sent nothing for 90 s');
    await until('the server to see the connection closed', () => server!.requests[0]!.closed);
  });

  it('with the usual 5-10 min timeoutSeconds, 125 s without a byte (two missed bookmarks) are enough, bookmark seen or not', async () => {
    server = new WatchServer();
    const kc = await server.start();
    const timers = new FakeClock();
    const handle = restListWatch<KObject>(kc, {} as Rest, ref, { clock: timers, timeoutSeconds: () => 600 }).watch('42', () => undefined);
    let outcome: unknown = 'pending';
    handle.done.then(
      () => (outcome = 'ended'),
      (err) => (outcome = err),
    );
    await until('the watch request', () => server!.requests.length === 1);
    await timers.advance(HEARTBEAT_SILENCE_MS - 1); // no byte since the request was made
    expect(outcome).toBe('pending');
    server.send(0, 'BOOKMARK', { metadata: { resourceVersion: '44' } });
    await new Promise((r) => setTimeout(r, 20));
    await timers.advance(HEARTBEAT_SILENCE_MS - 1);
    expect(outcome).toBe('pending');
    await timers.advance(1);
    expect(outcome).toBeInstanceOf(SilentWatchError);
  });

  it('abort ends the watch without an error and stops its watchdog', async () => {
    server = new WatchServer();
    const kc = await server.start();
    const timers = new FakeClock();
    const handle = restListWatch<KObject>(kc, {} as Rest, ref, { clock: timers }).watch('1', () => undefined);
    await until('the watch request', () => server!.requests.length === 1);
    handle.abort();
    await handle.done;
    expect(timers.timerCount()).toBe(0);
  });
});

describe('Informer over restListWatch: a silent watch', () => {
  it('is restarted from the last resourceVersion seen, without listing again', async () => {
    server = new WatchServer();
    const kc = await server.start();
    const timers = new FakeClock();
    const rest = scriptedRest([{ items: [job('a', '5')], metadata: { resourceVersion: '10' } }]);
    const informer = new Informer<KObject>({
      name: 'jobs',
      source: restListWatch<KObject>(kc, rest, ref, { clock: timers, timeoutSeconds: () => 300 }),
      log: pino({ level: 'silent' }),
      clock: timers,
      baseDelayMs: 500,
    });
    informer.start();
    await until('the first watch', () => server!.requests.length === 1);
    expect(server.requests[0]!.url.searchParams.get('resourceVersion')).toBe('10');
    server.send(0, 'MODIFIED', job('a', '12'));
    server.send(0, 'BOOKMARK', { metadata: { resourceVersion: '17' } });
    await until('the bookmark', () => informer.get('ns', 'a')?.metadata.resourceVersion === '12');
    await new Promise((r) => setTimeout(r, 20));
    await timers.advance(HEARTBEAT_SILENCE_MS); // the server froze
    await flush();
    expect(informer.consecutiveFailures()).toBe(1);
    await timers.advance(500); // the informer's backoff
    await until('the second watch', () => server!.requests.length === 2);
    expect(server.requests[1]!.url.searchParams.get('resourceVersion')).toBe('17');
    expect(rest.queries).toHaveLength(1); // no second list
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });
});
