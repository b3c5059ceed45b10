// `schedule-operator run` finds the cluster with the controller's kubeconfig loader (KUBECONFIG, the context's
// namespace and token), against a small local HTTP server standing in for the API server.
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runNow } from '../../../src/cli/run.js';

const NOW = new Date('2026-05-01T12:00:00.000Z');
const requests: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
let status = 200;
let server: http.Server;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status === 404 ? { kind: 'Status', reason: 'NotFound', message: 'schedules "nightly" not found' } : {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'so-run-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    stringify({
      'current-context': 'ctx',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { token: 't0k' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    }),
  );
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => void out.push(l), stderr: (l: string) => void err.push(l), now: () => NOW } };
}

describe('schedule-operator run', () => {
  it('sets run-requested-at with one merge patch, in the context namespace, with the kubeconfig credentials', async () => {
    requests.length = 0;
    status = 200;
    const t = io();
    expect(await runNow(['nightly'], t.io, { KUBECONFIG: kubeconfig })).toBe(0);
    expect(requests).toHaveLength(1);
    const r = requests[0]!;
    expect([r.method, r.url, r.headers['content-type'], r.headers.authorization]).toEqual([
      'PATCH',
      '/apis/schedule-operator.io/v1alpha1/namespaces/team-a/schedules/nightly',
      'application/merge-patch+json',
      'Bearer t0k',
    ]);
    expect(JSON.parse(r.body)).toEqual({ metadata: { annotations: { 'schedule-operator.io/run-requested-at': NOW.toISOString() } } });
    expect(t.out).toEqual([
      `run requested for Schedule team-a/nightly (token ${NOW.toISOString()}); watch it with: kubectl get sched nightly -n team-a -w`,
    ]);
  });

  it('prefers -n and --kubeconfig, and says in one line when the Schedule does not exist', async () => {
    requests.length = 0;
    status = 404;
    const t = io();
    expect(await runNow(['nightly', '-n', 'other', '--kubeconfig', kubeconfig], t.io, { KUBECONFIG: '/nonexistent' })).toBe(1);
    expect(requests[0]?.url).toBe('/apis/schedule-operator.io/v1alpha1/namespaces/other/schedules/nightly');
    expect(t.err).toEqual(['schedule-operator run: Schedule other/nightly not found']);
  });

  it('says which kubeconfig is missing, in one line, exit 1', async () => {
    const t = io();
    expect(await runNow(['nightly'], t.io, { KUBECONFIG: '/nonexistent/kubeconfig' })).toBe(1);
    expect(t.err).toEqual([
      'schedule-operator run: kubeconfig /nonexistent/kubeconfig does not exist: point --kubeconfig or KUBECONFIG at an existing file',
    ]);
  });
});
