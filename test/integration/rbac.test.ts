// The chart's RBAC is enough, and nothing in it is idle: the real operator runs outside the cluster as the
// chart's ServiceAccount (kubeconfig `as: system:serviceaccount:<ns>:<sa>`, i.e. Impersonate-User) and does
// its whole job - leader Lease, CronJob, status, Events, a run-now Job, the ledger (the finalizer released
// when a counted Job is deleted), a signed completion callback (Secret read). Then the same scenario with one rule taken out of
// the rendered Role fails, which shows the test notices an RBAC gap - and the operator names the missing verb and
// resource where a person looks: the Schedule's Ready and Stalled conditions (PermissionDenied); for the status
// subresource itself, which it cannot write, its log; for the Secret of a callback, status.notify.lastError.
//
// Namespaced mode (watchNamespaces): the strictest form of the rules, and an operator that watches only
// its own namespace leaves the other test files' Schedules alone.
import { createServer, type Server } from 'node:http';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { clusterKubeconfig, createNamespace, installCrd, readyCondition } from '../support/env.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { installLedgerPolicy } from '../support/ledger-policy.js';
import { applySchedule, requestRun } from './ledger-helpers.js';
import { render } from './chart-helpers.js';

let kube: TestKube;
let kubeconfig: string;
let dir: string;
let hook: Server;
let hookUrl: string;
const deliveries: Array<{ signature: string | undefined; body: string }> = [];
// Scenario names must be distinct: each gets its own namespace, release and ClusterRoles.
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  dir = mkdtempSync(join(tmpdir(), 'so-rbac-'));
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      deliveries.push({ signature: req.headers['x-schedule-signature'] as string | undefined, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  hook?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** installChartRbac applies the chart's ServiceAccount and RBAC for a release in ns (watchNamespaces={ns}). */
async function installChartRbac(ns: string, release: string, drop?: { resource: string; verbs: string[] }): Promise<string> {
  const objs = await render(release, ns, [
    '--set',
    `watchNamespaces={${ns}}`,
    '--show-only',
    'templates/serviceaccount.yaml',
    '--show-only',
    'templates/rbac.yaml',
  ]);
  for (const o of objs) {
    if (drop && o.kind === 'Role' && o.metadata.name === `${release}-schedule-operator`) {
      o.rules = o.rules
        .map((r: any) =>
          r.resources.includes(drop.resource) ? { ...r, verbs: r.verbs.filter((v: string) => !drop.verbs.includes(v)) } : r,
        )
        .filter((r: any) => r.verbs.length > 0);
    }
    const plural = `${o.kind.toLowerCase()}s`;
    const base = o.kind === 'ServiceAccount' ? '/api/v1' : '/apis/rbac.authorization.k8s.io/v1';
    const path = o.metadata.namespace
      ? `${base}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`
      : `${base}/${plural}/${o.metadata.name}`;
    await kube.apply(path, o, 'rbac-test');
    if (!o.metadata.namespace) cleanups.push(() => kube.remove(path));
  }
  return objs.find((o) => o.kind === 'ServiceAccount').metadata.name;
}

/** asServiceAccount writes a kubeconfig that acts as the ServiceAccount (the admin impersonates it). */
function asServiceAccount(ns: string, sa: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const doc = JSON.parse(kc.exportConfig());
  for (const u of doc.users) u.user.as = `system:serviceaccount:${ns}:${sa}`;
  const path = join(dir, `kubeconfig-${ns}`);
  writeFileSync(path, stringify(doc));
  return path;
}

interface Scenario {
  ns: string;
  operator: OperatorProcess;
  /** step names what the scenario is waiting for, for the failure message. */
  step: string;
}

/** GAP_TIMEOUT_MS: how long the step a removed permission blocks is given before the gap counts as seen. */
const GAP_TIMEOUT_MS = 20_000;

/** wholeJob drives one Schedule through everything the operator does; throws at the first step it cannot finish. */
async function wholeJob(s: Scenario, timeoutMs: number, expectedStop?: string): Promise<void> {
  const { ns } = s;
  // Every step gets the full time, except the one the missing permission should block (the machine may be busy).
  const limit = () => (s.step === expectedStop ? GAP_TIMEOUT_MS : timeoutMs);
  await kube.create(`/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hook' },
    stringData: { key: 'rbac-test-key' },
  });
  await applySchedule(kube, ns, 'nightly', { notify: { url: hookUrl, secretRef: { name: 'hook', key: 'key' } } });

  s.step = 'the leader Lease';
  await eventually(
    s.step,
    async () => (await kube.get(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/schedule-operator-leader`))?.spec?.holderIdentity,
    limit(),
  );
  s.step = 'the CronJob (server-side apply)';
  await eventually(s.step, () => kube.get(cronJobsPath(ns, 'nightly')), limit());
  s.step = 'status Ready=True (status subresource)';
  await eventually(s.step, async () => readyCondition(await kube.get(schedulesPath(ns, 'nightly')))?.status === 'True', limit());

  s.step = 'a run-now Job';
  await requestRun(kube, ns, 'nightly', 'rbac-1');
  const job = await eventually(s.step, async () => (await kube.get(jobsPath(ns)))?.items?.[0], limit());
  s.step = 'the run counted in status.runs (ledger)';
  await eventually(s.step, async () => (await kube.get(schedulesPath(ns, 'nightly')))?.status?.runs?.succeeded === 1, limit());
  s.step = 'a deleted Job released (ledger finalizer removed by a Job patch)';
  await kube.remove(jobsPath(ns, job.metadata.name));
  await eventually(s.step, async () => !(await kube.get(jobsPath(ns, job.metadata.name))), limit());
  s.step = 'a signed completion callback (Secret read)';
  await eventually(s.step, async () => deliveries.find((d) => d.body.includes(ns) && d.signature?.startsWith('sha256=')), limit());
  s.step = 'an Event about the Schedule';
  await eventually(
    s.step,
    async () => (await kube.get(`/api/v1/namespaces/${ns}/events`))?.items?.some((e: any) => e.involvedObject?.kind === 'Schedule'),
    limit(),
  );
  s.step = 'done';
}

async function setUp(prefix: string, drop?: { resource: string; verbs: string[] }): Promise<Scenario> {
  const ns = await createNamespace(kube, prefix);
  cleanups.push(ns.remove);
  const removePolicy = await installLedgerPolicy(kube, ns.name);
  cleanups.push(removePolicy);
  const sa = await installChartRbac(ns.name, prefix, drop);
  const operator = await startOperator({
    kubeconfig: asServiceAccount(ns.name, sa),
    args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, '--leader-elect=true', '--resync-period=5s'],
    env: { ALLOW_PRIVATE_CALLBACK_TARGETS: 'true', LOG_LEVEL: 'info' },
  });
  cleanups.push(async () => void (await operator.stop()));
  return { ns: ns.name, operator, step: 'start' };
}

const forbidden = (op: OperatorProcess) => op.logs.filter((l) => /forbidden/i.test(l));

/** Where the operator tells a person which permission it lacks. */
type Says = { condition: string } | { log: string } | { notifyError: RegExp };

/** expectNamed waits until the operator names the missing permission where `says` points. */
async function expectNamed(s: Scenario, says: Says): Promise<void> {
  if ('condition' in says) {
    // Ready=False and Stalled=True, reason PermissionDenied, the message naming verb, resource and namespace.
    const want = `the operator may not ${says.condition} in namespace ${s.ns} (403 Forbidden): grant its ServiceAccount`;
    const schedule = await eventually(
      `Ready=False/PermissionDenied naming "${says.condition}"`,
      async () => {
        const got = await kube.get(schedulesPath(s.ns, 'nightly'));
        const ready = readyCondition(got);
        return ready?.status === 'False' && ready.reason === 'PermissionDenied' && ready.message.includes(want) ? got : undefined;
      },
      30_000,
    );
    const stalled = schedule.status.conditions.find((c: any) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'PermissionDenied' });
    expect(stalled.message).toContain(want);
    expect(schedule.status.conditions.find((c: any) => c.type === 'Reconciling')).toMatchObject({ status: 'False' });
  } else if ('log' in says) {
    await eventually(
      `a log line naming "${says.log}"`,
      async () => s.operator.logs.find((l) => l.includes(`the operator may not ${says.log} in namespace ${s.ns}`)),
      30_000,
    );
  } else {
    await eventually(
      `status.notify.lastError matching ${says.notifyError}`,
      async () => says.notifyError.test((await kube.get(schedulesPath(s.ns, 'nightly')))?.status?.notify?.lastError ?? ''),
      30_000,
    );
  }
}

describe("the chart's RBAC, exercised by the real operator as the chart's ServiceAccount", () => {
  it('is enough for the whole job: Lease, CronJob, status, run-now Job, ledger, signed callback, Events', async () => {
    const s = await setUp('rbac-full');
    await s.operator.waitReady(60_000);
    try {
      await wholeJob(s, 90_000);
    } catch (err) {
      throw new Error(
        `stopped at "${s.step}": ${(err as Error).message}\noperator forbidden lines:\n${forbidden(s.operator).slice(-5).join('\n')}`,
      );
    }
    expect(s.step).toBe('done');
    expect(forbidden(s.operator)).toEqual([]);
  });

  it.concurrent.each<{ resource: string; verbs: string[]; stops: string; says: Says }>([
    { resource: 'jobs', verbs: ['create'], stops: 'a run-now Job', says: { condition: 'create jobs' } },
    {
      resource: 'schedules/status',
      verbs: ['update', 'patch'],
      stops: 'status Ready=True (status subresource)',
      says: { log: 'update schedules/status' },
    },
    {
      resource: 'jobs',
      verbs: ['patch', 'update'],
      stops: 'a deleted Job released (ledger finalizer removed by a Job patch)',
      says: { condition: 'patch jobs' },
    },
    {
      resource: 'secrets',
      verbs: ['get'],
      stops: 'a signed completion callback (Secret read)',
      says: {
        notifyError: /^spec\.notify\.secretRef: the operator may not read .* \(403 Forbidden\); grant its ServiceAccount get on secrets/,
      },
    },
  ])(
    'fails without $resource $verbs (the test sees the RBAC gap): stops at "$stops", and names it',
    async ({ resource, verbs, stops, says }) => {
      const s = await setUp(`rbac-no-${resource.replace('/', '-')}-${verbs[0]}`, { resource, verbs });
      await s.operator.waitReady(60_000).catch(() => undefined);
      await expect(wholeJob(s, 90_000, stops)).rejects.toThrow(/timed out/);
      expect(s.step).toBe(stops);
      expect(forbidden(s.operator).length).toBeGreaterThan(0);
      await expectNamed(s, says);
    },
  );
});
