// A short-lived cache of SubjectAccessReview answers for the webhook's confused-deputy guard.
//
// An admission stream is a few users applying many objects (a CI job, Argo CD's controller, a person with
// kubectl), so the same question - may this user create Jobs in this namespace? - is asked again and again,
// often by many admissions at once. Each answer is kept for ttlMs (allow and deny alike: a user who was
// just refused is refused again without another API call), and concurrent identical questions share one
// call in flight. A review that failed (AccessResult.error) is never kept: the next admission asks again.
//
// The key is everything the authorizer sees: username, uid, groups, extra and the namespace, so a user
// with other groups (or another impersonation) never gets someone else's answer. A granted or revoked
// permission takes effect within ttlMs, the same order as the API server's own webhook authorizer caches
// (--authorization-webhook-cache-authorized-ttl defaults to 5 minutes).
//
// Bounded: at most maxEntries answers, least recently used dropped first (a Map keeps insertion order).
import type { AccessResult, AdmitDeps, UserInfo } from './admit.js';

export type CanCreateJobs = AdmitDeps['canCreateJobs'];

export interface AccessCacheOptions {
  /** ttlMs: how long an answer is reused, from the moment it was asked (default 10 s). */
  ttlMs?: number;
  /** maxEntries: answers kept at most (default 1,000). */
  maxEntries?: number;
  /** now: the clock in milliseconds (injected by tests). */
  now?: () => number;
}

export interface AccessCacheStats {
  hits: number;
  misses: number;
  shared: number;
  size: number;
}

export const ACCESS_CACHE_TTL_MS = 10_000;
export const ACCESS_CACHE_MAX_ENTRIES = 1_000;

/** accessKey names one question: who (all of UserInfo, groups and extra in a stable order) and where. */
export function accessKey(user: UserInfo, namespace: string): string {
  const extra = Object.keys(user.extra ?? {})
    .sort()
    .map((k) => [k, [...(user.extra![k] ?? [])].sort()]);
  return JSON.stringify([user.username ?? '', user.uid ?? '', [...(user.groups ?? [])].sort(), extra, namespace]);
}

/** cacheAccessReviews wraps canCreateJobs with the cache; `stats()` reports what it did. */
export function cacheAccessReviews(ask: CanCreateJobs, opts: AccessCacheOptions = {}): CanCreateJobs & { stats(): AccessCacheStats } {
  const ttlMs = opts.ttlMs ?? ACCESS_CACHE_TTL_MS;
  const maxEntries = opts.maxEntries ?? ACCESS_CACHE_MAX_ENTRIES;
  const now = opts.now ?? Date.now;
  const answers = new Map<string, { result: AccessResult; expires: number }>();
  const inFlight = new Map<string, Promise<AccessResult>>();
  const counts = { hits: 0, misses: 0, shared: 0 };

  const cached = (user: UserInfo, namespace: string): Promise<AccessResult> => {
    const key = accessKey(user, namespace);
    const asked = now();
    const hit = answers.get(key);
    if (hit && hit.expires > asked) {
      answers.delete(key); // refresh its place: least recently used goes first
      answers.set(key, hit);
      counts.hits++;
      return Promise.resolve(hit.result);
    }
    if (hit) answers.delete(key);
    const pending = inFlight.get(key);
    if (pending) {
      counts.shared++;
      return pending;
    }
    counts.misses++;
    const call = ask(user, namespace)
      .catch((err: unknown): AccessResult => ({ allowed: false, error: (err as Error).message }))
      .then((result) => {
        if (!result.error && ttlMs > 0) {
          answers.set(key, { result, expires: asked + ttlMs });
          while (answers.size > maxEntries) answers.delete(answers.keys().next().value!);
        }
        return result;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, call);
    return call;
  };
  return Object.assign(cached, { stats: (): AccessCacheStats => ({ ...counts, size: answers.size }) });
}
