// The standalone kubectl-schedule as `make plugin` builds it (hack/plugin.ts; cached by source hash in
// ~/.cache/schedule-operator/plugin, a cold build takes 20-50 s): this machine's executable runs with no Node on
// PATH and answers as `node bin/schedule-operator` does; the other platforms' executables carry the SEA blob; the
// krew manifest's checksums are the archives', and krew installs them (then `kubectl schedule next` runs it).
// Needs no cluster (only the test cluster's kubectl binary).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { PLUGIN, archiveName, binaryName, buildPlugin, hostTarget } from '../../hack/plugin.js';
import { buildKrew } from '../krew/krew.js';
import { binDir } from './chart-helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const host = hostTarget();
let dir = '';
let noNode = ''; // a folder with only kubectl-schedule in it: the whole PATH of the runs below

beforeAll(async () => {
  dir = (await buildPlugin({ log: (l) => process.stderr.write(`${l}\n`) })).dir;
  noNode = mkdtempSync(join(tmpdir(), 'kubectl-schedule-'));
  if (host) symlinkSync(join(dir, binaryName(host)), join(noNode, 'kubectl-schedule'));
}, 300_000);

afterAll(() => {
  if (noNode) rmSync(noNode, { recursive: true, force: true });
});

/** kubectlSchedule runs the executable found on a PATH that holds nothing else, in an otherwise empty environment. */
function kubectlSchedule(...args: string[]) {
  const r = spawnSync('kubectl-schedule', args, { env: { PATH: noNode, HOME: noNode }, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** nodeCli runs the same command as `node bin/schedule-operator` (dist/ from `make build`). */
function nodeCli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'schedule-operator'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NEXT_CASES = [
  ['next', '30 2 * * *', '--time-zone', 'Europe/Berlin', '--from', '2026-03-28T00:00:00Z', '--count', '3'],
  ['next', '0 1 * * 0', '--time-zone', 'America/New_York', '--from', '2026-10-31T00:00:00Z', '--count', '4'],
  ['next', '@hourly', '--from', '2026-01-01T10:30:00Z', '--count', '2'],
];

describe.skipIf(!host)('kubectl-schedule on this machine, without Node', () => {
  it('finds no node on the PATH it runs with', () => {
    const r = spawnSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: noNode }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
  });

  it('prints exactly what `node bin/schedule-operator next` prints', () => {
    expect(existsSync(join(repo, 'dist', 'cli.js')), 'dist/cli.js: run `make build` first').toBe(true);
    for (const argv of NEXT_CASES) {
      const want = nodeCli(...argv);
      expect(want.code, argv.join(' ')).toBe(0);
      expect(kubectlSchedule(...argv), argv.join(' ')).toEqual(want);
    }
    expect(kubectlSchedule(...NEXT_CASES[0]!).stdout).toBe('2026-03-28T01:30:00Z\n2026-03-30T00:30:00Z\n2026-03-31T00:30:00Z\n');
  });

  it('refuses bad input with exit status 2 and one line on stderr, as the node CLI does', () => {
    for (const argv of [
      ['next', '61 * * * *'],
      ['next', '0 3 * * *', '--time-zone', 'Mars/Olympus'],
      ['next', '@daily', '--count', 'x'],
      ['next'],
    ]) {
      const got = kubectlSchedule(...argv);
      expect(got.code, argv.join(' ')).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(got).toEqual(nodeCli(...argv));
    }
  });

  it('--help lists the client commands as `kubectl schedule`, not the controller', () => {
    const r = kubectlSchedule('--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}kubectl schedule next <schedule>/m);
    expect(r.stdout).toMatch(/^ {2}kubectl schedule run <name>/m);
    expect(r.stdout).not.toMatch(/\[controller\]/);
  });

  it('refuses the controller in one line, and says its version', () => {
    const r = kubectlSchedule('controller');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not part of this standalone binary.*Helm chart/);
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(kubectlSchedule('version').stdout).toBe(
      `kubectl-schedule ${pkg.version} (schedule-operator client, single executable on Node ${process.version})\n`,
    );
  });

  it('run reads the kubeconfig and reaches for the API server (the Kubernetes client is inside)', () => {
    const kubeconfig = join(noNode, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]
current-context: x
`,
    );
    const r = kubectlSchedule('run', 'nightly', '--kubeconfig', kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
    expect(kubectlSchedule('run').code).toBe(2);
  });

  it("run talks to the test cluster with its kubeconfig's credentials (a Schedule that is not there: exit 1)", (ctx) => {
    const kubeconfig = inject('kubeconfig');
    if (!kubeconfig || readFileSync(kubeconfig, 'utf8').trim() === '') return ctx.skip(); // an empty kubeconfig: no cluster
    const r = kubectlSchedule('run', 'no-such-schedule', '-n', 'default', '--kubeconfig', kubeconfig);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'schedule-operator run: Schedule default/no-such-schedule not found\n' });
  });
});

// On an amd64 machine with qemu-user-static and the arm64 C libraries (Debian: qemu-user-static libc6-arm64-cross
// libstdc++6-arm64-cross libgcc-s1-arm64-cross), the arm64 executable is run too; without them this is skipped.
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const qemu = spawnSync('/bin/sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).stdout.trim();
const arm64 = PLUGIN.targets.find((t) => t.os === 'linux' && t.arch === 'arm64');
const canEmulate = Boolean(qemu && arm64 && host?.arch === 'amd64' && existsSync(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')));

describe.skipIf(!canEmulate)('the linux-arm64 executable under qemu-user, without Node', () => {
  it('prints what `node bin/schedule-operator next` prints, and refuses bad input the same way', () => {
    const run = (...args: string[]) => {
      const r = spawnSync(qemu, ['-L', ARM64_SYSROOT, join(dir, binaryName(arm64!)), ...args], {
        env: { PATH: noNode },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    for (const argv of [NEXT_CASES[0]!, ['next', '61 * * * *']]) expect(run(...argv), argv.join(' ')).toEqual(nodeCli(...argv));
  }, 120_000);
});

const ELF_MACHINE: Record<string, number> = { amd64: 62, arm64: 183 };

describe('every platform executable', () => {
  it.each(PLUGIN.targets.map((t) => [binaryName(t), t] as const))('%s is an ELF for its arch with the SEA blob injected', (name, t) => {
    const bin = join(dir, name);
    const head = Buffer.alloc(20);
    const fd = openSync(bin, 'r');
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(head.readUInt16LE(18)).toBe(ELF_MACHINE[t.arch]);
    const body = readFileSync(bin);
    // postject flips the fuse from :0 to :1; Node then looks for the NODE_SEA_BLOB note.
    expect(body.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
    expect(body.includes('NODE_SEA_BLOB')).toBe(true);
    expect(body.includes('kubectl schedule: the controller is not part of this standalone binary')).toBe(true);
  });
});

describe('krew manifest', () => {
  it("is the generated schedule.yaml whose sha256 per platform is its archive's", () => {
    const text = readFileSync(join(dir, 'schedule.yaml'), 'utf8');
    expect(text).toMatch(/^# Generated by hack\/plugin\.ts/);
    const m = parse(text);
    expect(m.metadata.name).toBe('schedule');
    expect(m.spec.platforms).toHaveLength(PLUGIN.targets.length);
    for (const t of PLUGIN.targets) {
      const p = m.spec.platforms.find(
        (x: { selector: { matchLabels: { os: string; arch: string } } }) =>
          x.selector.matchLabels.os === t.os && x.selector.matchLabels.arch === t.arch,
      );
      const archive = join(dir, archiveName(t));
      expect(p.uri.endsWith(`/${archiveName(t)}`)).toBe(true);
      expect(p.sha256).toBe(createHash('sha256').update(readFileSync(archive)).digest('hex'));
      // The archive holds the executable (as kubectl-schedule, krew's bin) and LICENSE, and nothing else.
      expect(execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual([
        'LICENSE',
        'kubectl-schedule',
      ]);
      const inArchive = execFileSync('tar', ['-xzOf', archive, 'kubectl-schedule'], { maxBuffer: 512 * 2 ** 20 });
      expect(inArchive.equals(readFileSync(join(dir, binaryName(t))))).toBe(true);
    }
  }, 120_000);
});

describe('krew installs the archives from the manifest (krew pinned in test/krew/go.mod)', () => {
  let krew = '';
  beforeAll(() => {
    krew = buildKrew();
  }, 300_000);

  /** install runs `krew install --manifest --archive` into a fresh KREW_ROOT as if on the target's platform. */
  const install = (t: { os: string; arch: string }, archive: string) => {
    const root = join(noNode, `krew-${t.os}-${t.arch}-${Math.random().toString(36).slice(2)}`);
    const r = spawnSync(krew, ['install', `--manifest=${join(dir, 'schedule.yaml')}`, `--archive=${archive}`], {
      env: { PATH: '/usr/bin:/bin', HOME: noNode, KREW_ROOT: root, KREW_OS: t.os, KREW_ARCH: t.arch },
      input: '',
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, output: `${r.stdout}${r.stderr}`, root };
  };

  it.each(PLUGIN.targets.map((t) => [`${t.os}/${t.arch}`, t] as const))(
    '%s: the checksum is accepted and kubectl-schedule and LICENSE land in the store',
    (_, t) => {
      const r = install(t, join(dir, archiveName(t)));
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Installed plugin: schedule/);
      const linked = realpathSync(join(r.root, 'bin', 'kubectl-schedule'));
      expect(readFileSync(linked).equals(readFileSync(join(dir, binaryName(t))))).toBe(true);
      expect(readFileSync(join(dirname(linked), 'LICENSE'), 'utf8')).toBe(readFileSync(join(repo, 'LICENSE'), 'utf8'));
      if (t === host) {
        // kubectl finds the plugin on PATH: `kubectl schedule next ...`, with krew's bin and kubectl alone on PATH.
        const kubectlDir = join(r.root, 'kubectl');
        mkdirSync(kubectlDir);
        symlinkSync(join(binDir(), 'kubectl'), join(kubectlDir, 'kubectl'));
        const [, ...args] = NEXT_CASES[0]!;
        const run = spawnSync('kubectl', ['schedule', 'next', ...args], {
          env: { PATH: `${join(r.root, 'bin')}:${kubectlDir}`, HOME: noNode },
          encoding: 'utf8',
        });
        expect({ code: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual(nodeCli(...NEXT_CASES[0]!));
      }
    },
    120_000,
  );

  it("refuses another platform's archive (checksum) and a platform the manifest does not offer", () => {
    const [a, b] = PLUGIN.targets;
    const wrong = install(a, join(dir, archiveName(b!)));
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/checksum does not match/);
    const darwin = install({ os: 'darwin', arch: 'arm64' }, join(dir, archiveName(a)));
    expect(darwin.code).not.toBe(0);
    expect(darwin.output).toMatch(/does not offer installation for this platform/);
  }, 120_000);
});
