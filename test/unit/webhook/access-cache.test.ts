// The SubjectAccessReview cache (src/webhook/access-cache.ts), with a fake clock and a fake authorizer.
import { describe, expect, it } from 'vitest';
import { accessKey, cacheAccessReviews } from '../../../src/webhook/access-cache.js';
import type { AccessResult, UserInfo } from '../../../src/webhook/admit.js';

const alice: UserInfo = { username: 'alice', uid: 'u-1', groups: ['team-a', 'system:authenticated'] };

/** authorizer answers from `allowed` (by username and first group) and records every question. */
function authorizer(allowed: (user: UserInfo, ns: string) => boolean = () => true) {
  const asked: Array<{ user: UserInfo; namespace: string }> = [];
  const held: Array<() => void> = [];
  let hold = false;
  const ask = async (user: UserInfo, namespace: string): Promise<AccessResult> => {
    asked.push({ user, namespace });
    if (hold) await new Promise<void>((r) => held.push(r));
    return { allowed: allowed(user, namespace) };
  };
  return {
    ask,
    asked,
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      for (const r of held.splice(0)) r();
    },
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('cacheAccessReviews', () => {
  it('answers a repeated question from the cache, allow and deny alike', async () => {
    const a = authorizer((u) => u.username === 'alice');
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now });
    expect(await can(alice, 'team-a')).toEqual({ allowed: true });
    expect(await can(alice, 'team-a')).toEqual({ allowed: true });
    const mallory = { username: 'mallory', groups: ['system:authenticated'] };
    expect(await can(mallory, 'team-a')).toEqual({ allowed: false });
    expect(await can(mallory, 'team-a')).toEqual({ allowed: false });
    expect(a.asked).toHaveLength(2);
    expect(can.stats()).toMatchObject({ hits: 2, misses: 2, size: 2 });
  });

  it('asks again once the answer is 10 s old (the default), not before', async () => {
    const a = authorizer();
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now });
    await can(alice, 'team-a');
    c.advance(9_999);
    await can(alice, 'team-a');
    expect(a.asked).toHaveLength(1);
    c.advance(1);
    await can(alice, 'team-a');
    expect(a.asked).toHaveLength(2);
  });

  it('takes a revoked permission into account after the ttl', async () => {
    let granted = true;
    const a = authorizer(() => granted);
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now, ttlMs: 5_000 });
    expect((await can(alice, 'team-a')).allowed).toBe(true);
    granted = false;
    expect((await can(alice, 'team-a')).allowed).toBe(true);
    c.advance(5_000);
    expect((await can(alice, 'team-a')).allowed).toBe(false);
  });

  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const a = authorizer();
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now, maxEntries: 3 });
    const user = (n: number): UserInfo => ({ username: `u${n}` });
    for (const n of [1, 2, 3]) await can(user(n), 'ns');
    await can(user(1), 'ns'); // u1 is now the most recently used
    await can(user(4), 'ns'); // drops u2
    expect(can.stats().size).toBe(3);
    a.asked.length = 0;
    await can(user(1), 'ns');
    await can(user(3), 'ns');
    await can(user(4), 'ns');
    expect(a.asked).toHaveLength(0);
    await can(user(2), 'ns');
    expect(a.asked.map((q) => q.user.username)).toEqual(['u2']);
  });

  it("never serves one user's answer to the same name in other groups, with another uid or extra, or in another namespace", async () => {
    const a = authorizer((u, ns) => (u.groups ?? []).includes('job-runners') && ns === 'team-a');
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now });
    const runner: UserInfo = { username: 'alice', uid: 'u-1', groups: ['job-runners'] };
    expect((await can(runner, 'team-a')).allowed).toBe(true);
    expect((await can({ ...runner, groups: ['viewers'] }, 'team-a')).allowed).toBe(false);
    expect((await can({ ...runner, groups: [] }, 'team-a')).allowed).toBe(false);
    expect((await can(runner, 'team-b')).allowed).toBe(false);
    await can({ ...runner, uid: 'u-2' }, 'team-a');
    await can({ ...runner, extra: { scopes: ['x'] } }, 'team-a');
    expect(a.asked).toHaveLength(6);
  });

  it('treats groups and extra as sets (order does not make a new question)', () => {
    expect(accessKey({ username: 'a', groups: ['x', 'y'], extra: { k: ['1', '2'], j: ['3'] } }, 'ns')).toBe(
      accessKey({ username: 'a', groups: ['y', 'x'], extra: { j: ['3'], k: ['2', '1'] } }, 'ns'),
    );
    expect(accessKey({ username: 'a', groups: ['x'] }, 'ns')).not.toBe(accessKey({ username: 'a', groups: ['x', 'y'] }, 'ns'));
    // a group name cannot smuggle in a namespace or a second group
    expect(accessKey({ username: 'a', groups: ['x","y'] }, 'ns')).not.toBe(accessKey({ username: 'a', groups: ['x', 'y'] }, 'ns'));
  });

  it('lets concurrent identical questions share one call in flight', async () => {
    const a = authorizer();
    const c = clock();
    const can = cacheAccessReviews(a.ask, { now: c.now });
    a.holdNext();
    const answers = Promise.all(Array.from({ length: 50 }, () => can(alice, 'team-a')));
    const other = can({ ...alice, groups: ['other'] }, 'team-a');
    await Promise.resolve();
    expect(a.asked).toHaveLength(2); // one per distinct question
    a.release();
    expect((await answers).every((r) => r.allowed)).toBe(true);
    await other;
    expect(can.stats()).toMatchObject({ misses: 2, shared: 49 });
  });

  it('does not keep a failed review: the next admission asks again', async () => {
    let calls = 0;
    const can = cacheAccessReviews(async () => (++calls === 1 ? { allowed: false, error: 'connect ECONNREFUSED' } : { allowed: true }), {
      now: clock().now,
    });
    expect(await can(alice, 'team-a')).toEqual({ allowed: false, error: 'connect ECONNREFUSED' });
    expect(await can(alice, 'team-a')).toEqual({ allowed: true });
    expect(calls).toBe(2);
  });

  it('turns a throwing authorizer into a failed review (the webhook fails closed)', async () => {
    const can = cacheAccessReviews(
      async () => {
        throw new Error('boom');
      },
      { now: clock().now },
    );
    expect(await can(alice, 'team-a')).toEqual({ allowed: false, error: 'boom' });
    expect(can.stats().size).toBe(0);
  });
});
