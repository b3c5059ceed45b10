// TEST_CLUSTER=k3s needs a Docker engine. Without one, starting it must fail in one clear line within seconds -
// never hang. Each case runs startK3s in a child process, because testcontainers caches its Docker settings.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function startK3sInChild(env: Record<string, string>): Promise<{ code: number | null; out: string; ms: number }> {
  const code = `import { startK3s } from './test/cluster/k3s.ts';
    try { await startK3s(); console.log('STARTED'); process.exit(0); }
    catch (err) { console.log(err.name + ': ' + err.message); process.exit(1); }`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, out: out.trim(), ms: Date.now() - started }));
  });
}

const dockerSocket = existsSync('/var/run/docker.sock');
(dockerSocket ? test.skip : test)(
  `TEST_CLUSTER=k3s on a machine without Docker fails in one line within 15 s${dockerSocket ? ' (skipped: /var/run/docker.sock exists here)' : ''}`,
  async () => {
    const env: Record<string, string> = {};
    const r = await startK3sInChild(env);
    expect(r.code, r.out).toBe(1);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.out.split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/^NoDockerError: TEST_CLUSTER=k3s needs a Docker engine and none is reachable .*unset TEST_CLUSTER/);
  },
);

test('a DOCKER_HOST that accepts connections but never answers gives up after the probe timeout', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    const r = await startK3sInChild({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, K3S_DOCKER_PROBE_TIMEOUT_MS: '2000' });
    expect(r.code, r.out).toBe(1);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.out).toBe(
      `NoDockerError: TEST_CLUSTER=k3s needs a Docker engine and none is reachable (DOCKER_HOST=tcp://127.0.0.1:${port}: no answer within 2000 ms); start Docker or unset TEST_CLUSTER to use the local control plane`,
    );
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
