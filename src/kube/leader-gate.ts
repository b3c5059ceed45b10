// gateWrites wraps a KubeClient so it refuses every call while this process is not the leader: once the
// Lease is lost, no write leaves the process, even from a reconcile that was already running.
// It wraps every method, so methods added to KubeClient later are gated without touching this file.
import type { KubeClient } from './client.js';

export class NotLeaderError extends Error {
  constructor(method: string) {
    super(`refused ${method}: this process does not hold the leader Lease`);
    this.name = 'NotLeaderError';
  }
}

export function gateWrites(inner: KubeClient, isLeader: () => boolean): KubeClient {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!isLeader()) return Promise.reject(new NotLeaderError(String(prop)));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
