// The second test-cluster backend (TEST_CLUSTER=k3s): a k3s server in a container, through @testcontainers/k3s.
// It needs a Docker engine. Without one it fails at once with one line that says so - it does not fall back to
// the local control plane, because a run that asked for k3s and silently got something else would report
// results for the wrong backend.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The image TEST_CLUSTER=k3s runs; K3S_IMAGE overrides it. */
export const DEFAULT_K3S_IMAGE = 'rancher/k3s:v1.34.1-k3s1';

export interface K3sCluster {
  kubeconfig: string;
  stop(): Promise<void>;
}

export class NoDockerError extends Error {
  override name = 'NoDockerError';
}

/** withTimeout rejects with `message` when `work` has not settled after `ms`. */
async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoDockerError(message)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function noDockerMessage(detail: string): string {
  const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'no DOCKER_HOST, no Docker socket';
  return `TEST_CLUSTER=k3s needs a Docker engine and none is reachable (${where}: ${detail}); start Docker or unset TEST_CLUSTER to use the local control plane`;
}

/**
 * assertDockerReachable asks testcontainers for a container runtime, giving up after `timeoutMs` (a DOCKER_HOST
 * that accepts connections but never answers would otherwise hang the run).
 */
export async function assertDockerReachable(timeoutMs = Number(process.env.K3S_DOCKER_PROBE_TIMEOUT_MS ?? 10_000)): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await withTimeout(getContainerRuntimeClient(), timeoutMs, noDockerMessage(`no answer within ${timeoutMs} ms`));
  } catch (err) {
    if (err instanceof NoDockerError) throw err;
    throw new NoDockerError(noDockerMessage((err as Error).message));
  }
}

/** startK3s starts a k3s server and writes its kubeconfig to a temporary file. */
export async function startK3s(image = process.env.K3S_IMAGE ?? DEFAULT_K3S_IMAGE): Promise<K3sCluster> {
  await assertDockerReachable();
  const { K3sContainer } = await import('@testcontainers/k3s');
  const container = await new K3sContainer(image).start();
  const dir = mkdtempSync(join(tmpdir(), 'schedule-operator-k3s-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, container.getKubeConfig(), { mode: 0o600 });
  return {
    kubeconfig,
    async stop() {
      await container.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
