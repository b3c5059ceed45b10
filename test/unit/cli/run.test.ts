// `schedule-operator run` and `resume` (src/cli/run.ts) against a tiny fake API server: the PATCH they
// send, and how a refusal by the admission webhook is printed.
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';

let server: http.Server;
let kubeconfig: string;
let dir: string;
let answer: { status: number; body: unknown };
const requests: Array<{ method: string; url: string; contentType: string | undefined; body: any }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      requests.push({
        method: req.method!,
        url: req.url!,
        contentType: req.headers['content-type'],
        body: text ? JSON.parse(text) : undefined,
      });
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  dir = mkdtempSync(join(tmpdir(), 'so-cli-run-'));
  kubeconfig = join(dir, 'kubeconfig');
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    }),
  );
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
  answer = { status: 200, body: {} };
});

function io() {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  return {
    out,
    io: {
      stdout: (l: string) => out.stdout.push(l),
      stderr: (l: string) => out.stderr.push(l),
      now: () => new Date('2026-12-01T15:00:00.000Z'),
    },
  };
}

describe('schedule-operator run / resume', () => {
  it.each([
    ['run', 'schedule-operator.io/run-requested-at'],
    ['resume', 'schedule-operator.io/resume-requested-at'],
  ])('%s merge-patches %s with the current time as the token', async (command, annotation) => {
    const t = io();
    expect(await main([command, 'nightly', '--kubeconfig', kubeconfig], t.io)).toBe(0);
    expect(requests).toEqual([
      {
        method: 'PATCH',
        url: '/apis/schedule-operator.io/v1alpha1/namespaces/team-a/schedules/nightly',
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { [annotation]: '2026-12-01T15:00:00.000Z' } } },
      },
    ]);
    expect(t.out.stdout).toEqual([
      `${command} requested for Schedule team-a/nightly (token 2026-12-01T15:00:00.000Z); watch it with: kubectl get sched nightly -n team-a -w`,
    ]);
  });

  it("prints the webhook's refusal as one line on stderr and exits 1", async () => {
    const message =
      'admission webhook "schedules.schedule-operator.io" denied the request: Schedule "team-b/nightly": setting metadata.annotations["schedule-operator.io/run-requested-at"] is refused: user "alice" may not create jobs in namespace "team-b"';
    answer = {
      status: 403,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `${message}\n(more)` },
    };
    const t = io();
    expect(await main(['run', 'nightly', '-n', 'team-b', '--kubeconfig', kubeconfig], t.io)).toBe(1);
    expect(t.out.stdout).toEqual([]);
    expect(t.out.stderr).toEqual([`schedule-operator run: ${message} (more)`]);
  });

  it('says which Schedule was not found', async () => {
    answer = {
      status: 404,
      body: { kind: 'Status', reason: 'NotFound', code: 404, message: 'schedules.schedule-operator.io "nope" not found' },
    };
    const t = io();
    expect(await main(['resume', 'nope', '--kubeconfig', kubeconfig], t.io)).toBe(1);
    expect(t.out.stderr).toEqual(['schedule-operator resume: Schedule team-a/nope not found']);
  });

  it.each([
    [['resume'], /^schedule-operator resume: the Schedule name is missing; usage: schedule-operator resume <name>/],
    [['resume', 'a', 'b'], /^schedule-operator resume: one Schedule name expected, got "a" and "b"/],
    [['run', 'a', '--force'], /^schedule-operator run: unknown flag --force; usage: schedule-operator run <name>/],
  ])('%j exits 2 with the usage', async (argv, message) => {
    const t = io();
    expect(await main(argv, t.io)).toBe(2);
    expect(t.out.stderr).toEqual([expect.stringMatching(message)]);
    expect(requests).toEqual([]);
  });

  it('lists resume in the usage', async () => {
    const t = io();
    await main(['--help'], t.io);
    expect(t.out.stdout.join('\n')).toMatch(/schedule-operator resume <name> \[-n namespace\]/);
  });
});
