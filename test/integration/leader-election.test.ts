// Two operator processes against one cluster: only the Lease holder writes; when it gets SIGTERM it
// releases the Lease and the standby takes over well before the lease duration would have run out.
import { afterAll, describe, expect, it } from 'vitest';
import { readyCondition, scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';

const LEASE = 'schedule-operator-leader';
// This file starts its own operators (two at once, with their own flags); the harness gives the namespace.
const env = useOperatorNamespace('leader', { startOperator: false });
const operators: OperatorProcess[] = [];

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
});

async function start(identity: string): Promise<OperatorProcess> {
  const op = await startOperator({
    kubeconfig: env.kubeconfig,
    args: [`--watch-namespaces=${env.ns}`, `--leader-election-namespace=${env.ns}`, '--leader-elect=true', '--resync-period=5s'],
    env: { POD_NAME: identity },
  });
  operators.push(op);
  await op.waitReady();
  return op;
}

async function metric(op: OperatorProcess, name: string): Promise<number> {
  const text = await (await fetch(op.metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const holder = async () => (await env.kube.get(`/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/${LEASE}`))?.spec?.holderIdentity;

async function readyFor(name: string) {
  return eventually(
    `Schedule ${name} to be Ready`,
    async () => {
      const s = await env.kube.get(schedulesPath(env.ns, name));
      return readyCondition(s)?.status === 'True' ? s : undefined;
    },
    30_000,
  );
}

describe('leader election with two replicas', () => {
  it('lets only the Lease holder write; the standby is ready but idle, and takes over promptly when the leader stops', async () => {
    const a = await start('operator-a');
    await eventually('operator-a to hold the Lease', async () => (await holder()) === 'operator-a');
    const b = await start('operator-b');

    // Both are ready (caches synced); only a leads.
    const readyB = await (await fetch(`${b.healthUrl}/readyz`)).json();
    expect(readyB).toMatchObject({ ready: true, leaderElection: true, leading: false });
    expect(await metric(a, 'leader_election_master_status')).toBe(1);
    expect(await metric(b, 'leader_election_master_status')).toBe(0);

    await env.kube.apply(schedulesPath(env.ns, 'first'), scheduleManifest(env.ns, 'first', { schedule: '0 4 * * *' }));
    await readyFor('first');
    await new Promise((r) => setTimeout(r, 6000)); // a resync period passes on both
    expect(await metric(a, 'schedule_operator_api_writes_total')).toBeGreaterThan(0);
    expect(await metric(a, 'controller_runtime_reconcile_total')).toBeGreaterThan(0);
    expect(await metric(b, 'schedule_operator_api_writes_total')).toBe(0);
    expect(await metric(b, 'controller_runtime_reconcile_total')).toBe(0);

    // SIGTERM: a releases the Lease on its way out; b must not wait out the 15 s lease duration.
    const stoppedAt = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(a.logs.some((l) => l.includes('released the Lease'))).toBe(true);
    await eventually('operator-b to hold the Lease', async () => (await holder()) === 'operator-b', 20_000, 100);
    const takeoverMs = Date.now() - stoppedAt;
    console.log(`takeover after SIGTERM of the leader: ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(10_000);

    await env.kube.apply(schedulesPath(env.ns, 'second'), scheduleManifest(env.ns, 'second', { schedule: '0 5 * * *' }));
    const second = await readyFor('second');
    expect(second.status.observedGeneration).toBe(1);
    expect(await metric(b, 'schedule_operator_api_writes_total')).toBeGreaterThan(0);
    expect(await metric(b, 'leader_election_master_status')).toBe(1);
  });

  it('exits 1, leaving the Lease alone, when another holder takes it and it cannot renew within the renew deadline', async () => {
    const id = 'short-lease';
    const op = await startOperator({
      kubeconfig: env.kubeconfig,
      args: [
        `--watch-namespaces=${env.ns}`,
        `--leader-election-namespace=${env.ns}`,
        `--leader-election-id=${id}`,
        '--leader-election-lease-duration=4s',
        '--leader-election-renew-deadline=3s',
        '--leader-election-retry-period=1s',
      ],
      env: { POD_NAME: 'operator-c' },
    });
    operators.push(op);
    await op.waitReady();
    const path = `/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/${id}`;
    const held = await eventually('operator-c to hold the Lease', async () => {
      const l = await env.kube.get(path);
      return l?.spec?.holderIdentity === 'operator-c' ? l : undefined;
    });
    // Another process takes the Lease (as one with a skewed view of expiry might).
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await env.kube.rest.request('PUT', path, {
      body: { ...held, spec: { ...held.spec, holderIdentity: 'intruder', acquireTime: now, renewTime: now } },
    });
    const lostAt = Date.now();
    const code = await new Promise<number | null>((resolve) => op.child.on('exit', (c) => resolve(c)));
    const afterMs = Date.now() - lostAt;
    console.log(`exit after losing the Lease: ${afterMs} ms`);
    expect(code).toBe(1);
    expect(afterMs).toBeLessThan(10_000);
    expect(op.logs.some((l) => l.includes('lost the Lease'))).toBe(true);
    expect((await env.kube.get(path)).spec.holderIdentity).toBe('intruder'); // it did not release what it no longer held
  });
});
