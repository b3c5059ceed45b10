// cluster.sh on bad input: a missing binary, a port in use, a component that dies at start. Each must end within
// seconds in one line `cluster: <reason>` (plus the component's last log lines), leave no process running, and
// never wait out a timeout. Every case runs in a CLUSTER_DIR of its own, apart from the shared test cluster.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), 'cluster.sh');
const bin = inject('clusterBin');
const sharedDir = inject('clusterDir');
const FAST_MS = 15_000;

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cluster-script-test-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  dir: string;
}

function clusterSh(command: string, env: Record<string, string>): Promise<Result> {
  const dir = env.CLUSTER_DIR ?? mkdtempSync(join(scratch, 'dir-'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, command], {
      env: { ...process.env, CLUSTER_BIN: bin, CLUSTER_TIMEOUT: '60', ...env, CLUSTER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started, dir }));
  });
}

/** expectQuickFailure: exit 1 fast, first line `cluster: ...` matching `reason`, and no component left running. */
function expectQuickFailure(r: Result, reason: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.ms).toBeLessThan(FAST_MS);
  const [first] = r.stderr.split('\n');
  expect(first).toMatch(/^cluster: /);
  expect(first).toMatch(reason);
  const pids = join(r.dir, 'pids');
  expect(existsSync(pids) ? readdirSync(pids) : [], 'no pid file (= no process) is left behind').toEqual([]);
}

const needsBinaries = bin ? test : test.skip;
const skipNote = bin ? '' : ' (skipped: this run has no local control-plane binaries, clusterBin is empty)';

needsBinaries(`a TEST_ASSET_ETCD that is not an executable file is named in one line${skipNote}`, async () => {
  const r = await clusterSh('up', { TEST_ASSET_ETCD: '/nonexistent/etcd' });
  expectQuickFailure(r, /TEST_ASSET_ETCD=\/nonexistent\/etcd is not an executable file/);
});

needsBinaries(`a bin folder without etcd says which binary is missing and how to get it${skipNote}`, async () => {
  const root = mkdtempSync(join(scratch, 'bin-'));
  mkdirSync(join(root, 'bin'));
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'])
    symlinkSync(join(bin, name), join(root, 'bin', name));
  symlinkSync(join(bin, '..', 'kwok-stages'), join(root, 'kwok-stages'));
  const r = await clusterSh('up', { CLUSTER_BIN: join(root, 'bin') });
  expectQuickFailure(r, /missing binary etcd in .*build\.sh/);
});

needsBinaries(`a port already in use is refused before anything starts, naming the port and its variable${skipNote}`, async () => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await clusterSh('up', { CLUSTER_API_PORT: String(port) });
    expectQuickFailure(r, new RegExp(`port ${port} \\(kube-apiserver --secure-port, from CLUSTER_API_PORT\\) is already in use`));
  } finally {
    server.close();
  }
});

needsBinaries(`a component that dies at start is reported with its last log lines, and what started is stopped${skipNote}`, async () => {
  const fake = join(scratch, 'dying-apiserver');
  writeFileSync(fake, '#!/bin/sh\necho "simulated start-up failure: unknown flag --bogus" >&2\nexit 3\n');
  chmodSync(fake, 0o755);
  const r = await clusterSh('up', { TEST_ASSET_KUBE_APISERVER: fake });
  expectQuickFailure(r, /kube-apiserver exited during start-up/);
  expect(r.stderr).toContain('simulated start-up failure: unknown flag --bogus');
  // etcd had started and is stopped again: its port no longer answers.
  const etcdPort = /etcd_port=(\d+)/.exec(readFileSync(join(r.dir, 'ports'), 'utf8'))?.[1];
  const answers = await fetch(`http://127.0.0.1:${etcdPort}/health`).then(
    () => true,
    () => false,
  );
  expect(answers, 'etcd is stopped after the failure').toBe(false);
});

const sharedLocal = sharedDir ? test : test.skip;
sharedLocal(
  `a second up reuses the healthy cluster at once${sharedDir ? '' : ' (skipped: this run does not use a local cluster)'}`,
  async () => {
    const r = await clusterSh('up', { CLUSTER_DIR: sharedDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.stderr).toMatch(/^cluster: reusing the healthy control plane/);
    expect(r.stdout.trim()).toBe(`export KUBECONFIG=${sharedDir}/kubeconfig`);
  },
);

test('down in a folder without a cluster stops nothing and succeeds', async () => {
  const r = await clusterSh('down', { CLUSTER_DIR: join(scratch, 'never-started') });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/nothing to stop/);
});

/** faultSh runs `cluster.sh <args>` on a folder (no binaries needed: these cases fail before anything starts). */
function faultSh(args: string[], dir: string): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env: { ...process.env, CLUSTER_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started, dir }));
  });
}

test('freeze, thaw and kill act only on the recorded process: a pid file whose start time does not match is refused', async () => {
  // A process that is not a cluster component, recorded under its pid but with another start time (a reused pid).
  const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const dir = mkdtempSync(join(scratch, 'stale-'));
    mkdirSync(join(dir, 'pids'));
    mkdirSync(join(dir, 'cmd'));
    writeFileSync(join(dir, 'ports'), 'etcd_port=1\napi_port=2\nkwok_port=3\nkcm_port=4\nsched_port=5\n');
    writeFileSync(join(dir, 'pids', 'kube-apiserver.pid'), `${bystander.pid} 1 /bin/sleep\n`);
    for (const command of ['freeze', 'thaw', 'kill']) {
      const r = await faultSh([command, 'kube-apiserver'], dir);
      expect(r.code, `${command}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^cluster: kube-apiserver is not running \(no live process matches/);
    }
    const state = readFileSync(`/proc/${bystander.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
    expect(state, 'the bystander was neither stopped nor killed').toBe('S');
  } finally {
    bystander.kill();
  }
});

test('a fault command names the components when given an unknown one, and needs a cluster started by up', async () => {
  const unknown = await faultSh(['freeze', 'kubelet'], join(scratch, 'never-started'));
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(
    /^cluster: unknown component 'kubelet'; name one of: etcd kube-apiserver kube-controller-manager kube-scheduler kwok/,
  );
  const none = await faultSh(['restart', 'kwok'], join(scratch, 'never-started'));
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/^cluster: no cluster in .*never-started: run 'cluster.sh up' first/);
});
