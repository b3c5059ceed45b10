import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Informer } from '../../../src/kube/informer.js';
import { ApiError } from '../../../src/kube/rest.js';
import type { KObject, ListResult, ListWatch, WatchEventType } from '../../../src/kube/watch.js';
import { FakeClock, flush } from '../../support/fake-clock.js';

const obj = (name: string, rv: string): KObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** ScriptedSource is a ListWatch whose lists and watches the test answers one by one. */
class ScriptedSource implements ListWatch<KObject> {
  lists: Array<ListResult<KObject> | Error> = [];
  listCalls = 0;
  watchCalls: string[] = [];
  private current: { emit: (t: WatchEventType, o: KObject) => void; close: (err?: Error) => void } | undefined;

  async list(): Promise<ListResult<KObject>> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  watch(resourceVersion: string, onEvent: (t: WatchEventType, o: KObject) => void) {
    this.watchCalls.push(resourceVersion);
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.current = { emit: onEvent, close: (err) => (err ? reject(err) : resolve()) };
    return { done, abort: () => resolve() };
  }

  emit(type: WatchEventType, o: KObject) {
    this.current!.emit(type, o);
  }

  close(err?: Error) {
    this.current!.close(err);
  }
}

function setup() {
  const source = new ScriptedSource();
  const timers = new FakeClock();
  const events: string[] = [];
  const informer = new Informer<KObject>({
    name: 'test',
    source,
    clock: timers,
    log: pino({ level: 'silent' }),
    baseDelayMs: 100,
    maxDelayMs: 1000,
    handlers: {
      onAdd: (o) => events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
      onUpdate: (_old, o) => events.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
      onDelete: (o) => events.push(`delete ${o.metadata.name}`),
    },
  });
  return { source, timers, events, informer };
}

describe('Informer', () => {
  it('lists, reports synced, then watches from the list resourceVersion and applies events to the cache', async () => {
    const { source, events, informer } = setup();
    source.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await flush();
    expect(informer.hasSynced()).toBe(true);
    expect(source.watchCalls).toEqual(['10']);
    source.emit('ADDED', obj('b', '11'));
    source.emit('MODIFIED', obj('a', '12'));
    source.emit('DELETED', obj('b', '13'));
    expect(events).toEqual(['add a@1', 'add b@11', 'update a@12', 'delete b']);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['a']);
    expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('12');
  });

  it('watches again from the last resourceVersion seen (bookmarks included) when the server closes the watch', async () => {
    const { source, timers, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await flush();
    source.emit('ADDED', obj('a', '15'));
    source.emit('BOOKMARK', { metadata: { name: '', resourceVersion: '20' } });
    await timers.advance(5000);
    source.close();
    await flush();
    expect(source.watchCalls).toEqual(['10', '20']);
    expect(source.listCalls).toBe(1);
  });

  it('lists again on 410 Gone and reports what changed meanwhile as adds, updates and deletes', async () => {
    const { source, events, informer } = setup();
    source.lists.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '10' });
    source.lists.push({ items: [obj('a', '1'), obj('c', '30')], resourceVersion: '40' });
    informer.start();
    await flush();
    events.length = 0;
    source.close(new ApiError(410, 'Expired', 'too old resource version'));
    await flush();
    expect(source.listCalls).toBe(2);
    expect(events).toEqual(['add c@30', 'delete b']);
    expect(source.watchCalls).toEqual(['10', '40']);
  });

  it('retries a failing list with exponential backoff, and stays unsynced until a list succeeds', async () => {
    const { source, timers, informer } = setup();
    const missing = new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    source.lists.push(missing, missing, missing, { items: [], resourceVersion: '5' });
    informer.start();
    await flush();
    expect(source.listCalls).toBe(1);
    await timers.advance(99);
    expect(source.listCalls).toBe(1);
    await timers.advance(1);
    expect(source.listCalls).toBe(2); // after 100 ms
    await timers.advance(199);
    expect(source.listCalls).toBe(2);
    await timers.advance(1);
    expect(source.listCalls).toBe(3); // after 200 ms more
    expect(informer.hasSynced()).toBe(false);
    await timers.advance(400);
    expect(source.listCalls).toBe(4);
    expect(informer.hasSynced()).toBe(true);
    expect(informer.consecutiveFailures()).toBe(0);
  });

  it('restarts a watch that failed with backoff, from the last resourceVersion, without listing again', async () => {
    const { source, timers, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await flush();
    source.emit('ADDED', obj('a', '12'));
    source.close(new Error('socket hang up'));
    await flush();
    expect(source.watchCalls).toEqual(['10']);
    await timers.advance(100);
    expect(source.watchCalls).toEqual(['10', '12']);
    expect(source.listCalls).toBe(1);
  });

  it('treats a watch that closes at once without events as a failure, so a closing server is not hammered', async () => {
    const { source, timers, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '10' });
    informer.start();
    await flush();
    source.close();
    await flush();
    expect(source.watchCalls).toHaveLength(1);
    await timers.advance(100);
    expect(source.watchCalls).toHaveLength(2);
  });

  it('is never revived after stop, even when a retry was pending', async () => {
    const { source, timers, informer } = setup();
    source.lists.push(new Error('connection refused'), { items: [], resourceVersion: '1' });
    informer.start();
    await flush();
    await informer.stop();
    await timers.advance(10_000);
    informer.start();
    await flush();
    expect(source.listCalls).toBe(1);
    expect(source.watchCalls).toEqual([]);
  });

  it('ignores events that arrive after stop', async () => {
    const { source, events, informer } = setup();
    source.lists.push({ items: [], resourceVersion: '1' });
    informer.start();
    await flush();
    const stopped = informer.stop();
    source.emit('ADDED', obj('late', '2'));
    await stopped;
    expect(events).toEqual([]);
    expect(informer.list()).toEqual([]);
  });
});
