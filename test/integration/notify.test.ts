// Completion callbacks against the real control plane and the real operator process: receivers are
// HTTP servers on 127.0.0.1 (the operator runs with ALLOW_PRIVATE_CALLBACK_TARGETS=true for that).
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import {
  applySchedule,
  deleteSchedule,
  expectNoJobsLeft,
  JobWatch,
  requestRun,
  waitCounted,
  waitHandled,
  waitReady,
} from './ledger-helpers.js';

const KEY = 'integration-signing-key';
const env = useOperatorNamespace('notify', {
  ledgerPolicy: true,
  env: { ALLOW_PRIVATE_CALLBACK_TARGETS: 'true', LOG_LEVEL: 'info' },
  startOperator: false,
});
let watch: JobWatch;
const servers: Server[] = [];

interface Delivery {
  id: string;
  result: string;
  valid: boolean;
  body: any;
}

/** receiver answers with the given statuses in turn (the last repeats); 0 = never answer. */
async function receiver(answers: number[]): Promise<{ url: string; got: Delivery[]; attempts: () => number }> {
  const got: Delivery[] = [];
  let attempts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers[Math.min(attempts, answers.length - 1)]!;
      attempts++;
      if (status === 0) return;
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw);
      const valid = req.headers['x-schedule-signature'] === `sha256=${createHmac('sha256', KEY).update(raw).digest('hex')}`;
      if (status < 300) got.push({ id: body.id, result: body.data.result, valid, body });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, got, attempts: () => attempts };
}

beforeAll(async () => {
  await env.kube.create(`/api/v1/namespaces/${env.ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hook' },
    stringData: { key: KEY },
  });
  watch = new JobWatch(env.kubeconfig, env.ns);
  await watch.start();
  await env.start();
});

afterAll(async () => {
  watch?.stop();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const notify = (url: string) => ({ notify: { url, secretRef: { name: 'hook', key: 'key' } } });

async function runs(
  name: string,
  n: number,
  fail: (i: number) => boolean = () => false,
  spec: Record<string, unknown> = {},
): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await applySchedule(env.kube, env.ns, name, spec, { fail: fail(i) });
    await waitReady(env.kube, env.ns, name);
    await requestRun(env.kube, env.ns, name, `${name}-${i}`);
    await waitHandled(env.kube, env.ns, name, `${name}-${i}`);
    await waitCounted(env.kube, env.ns, name, i);
  }
}

describe('completion callbacks', () => {
  it('delivers one signed CloudEvent per finished run, with the Job uid as id', async () => {
    const r = await receiver([200]);
    await runs('signed', 4, (i) => i % 2 === 0, notify(r.url));
    const s = await eventually(
      'every callback delivered',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'signed'));
        return r.got.length >= 4 && !s.status.notify?.pending ? s : undefined;
      },
      30_000,
    );
    await new Promise((x) => setTimeout(x, 3000)); // nothing more arrives later
    const uids = [...watch.jobs.entries()].filter(([, j]) => j.schedule === 'signed').map(([uid]) => uid);
    expect(r.got.map((d) => d.id).sort()).toEqual(uids.sort());
    expect(r.got.every((d) => d.valid)).toBe(true);
    expect(r.got.map((d) => d.result).sort()).toEqual(['Failed', 'Failed', 'Succeeded', 'Succeeded']);
    expect(r.got[0]!.body).toMatchObject({
      specversion: '1.0',
      type: 'io.schedule-operator.run.finished',
      data: { schedule: 'signed', namespace: env.ns, trigger: 'Manual' },
    });
    expect(typeof r.got[0]!.body.data.durationSeconds).toBe('number');
    expect(s.status.notify.lastDeliveredJobUID).toBeDefined();
  });

  it('retries: a receiver failing twice then succeeding gets the event', async () => {
    const r = await receiver([500, 502, 200]);
    await runs('retried', 1, () => false, notify(r.url));
    await eventually('the event after two failures', async () => r.got.length === 1, 30_000);
    expect(r.attempts()).toBe(3);
    expect(r.got[0]!.valid).toBe(true);
    await eventually(
      'pending cleared and lastError gone',
      async () => {
        const s = await env.kube.get(schedulesPath(env.ns, 'retried'));
        return !s.status.notify?.pending && !s.status.notify?.lastError;
      },
      15_000,
    );
  });

  it("a hung receiver does not delay another Schedule's status or callbacks", async () => {
    const hung = await receiver([0]);
    const fast = await receiver([200]);
    await runs('hung', 1, () => false, notify(hung.url));
    const started = Date.now();
    await runs('fast', 2, () => false, notify(fast.url));
    await eventually('fast callbacks delivered', async () => fast.got.length === 2, 15_000);
    const elapsed = Date.now() - started;
    console.log(`fast Schedule: 2 runs counted and delivered in ${elapsed} ms while another receiver hangs`);
    expect(elapsed).toBeLessThan(20_000);
    const h = await env.kube.get(schedulesPath(env.ns, 'hung'));
    expect(h.status.runs.total).toBe(1);
    expect(h.status.notify.pending).toHaveLength(1); // still owed, not lost
  });

  it('leaves no Job behind when the Schedules are deleted', async () => {
    for (const name of ['signed', 'retried', 'hung', 'fast']) await deleteSchedule(env.kube, env.ns, name);
    await expectNoJobsLeft(env.kube, env.ns);
  });
});
