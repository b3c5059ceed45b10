// `helm test` of the chart. On the test cluster kwok plays the kubelet: it schedules the test Pod and reports
// it Running, but runs no container, so the Pod never finishes and `helm test` can only time out. What this
// file proves instead:
//   1. `helm test` creates the hook objects, the API server accepts them, and the Pod is scheduled running
//      the operator's image with the chart's script (files/helm-test.mjs) - the part kwok can show;
//   2. that script, run here with Node exactly as the Pod would run it (its ServiceAccount's token, its
//      environment), passes against the real API server and a real operator: /readyz answers, a replica
//      holds the Lease, the webhook admits a valid Schedule and refuses an invalid one (dry runs). This also
//      proves the test Role grants enough (the webhook refuses Schedules from users who may not create Jobs);
//   3. the script fails, naming the check, when the operator does not answer.
// What no test here proves: that the Pod's network path (Service -> operator Pod, NetworkPolicy) works in a
// real cluster; the script reaches the operator on 127.0.0.1 instead of through the Service.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WEBHOOK_PATH } from '../../src/webhook/server.js';
import { clusterKubeconfig, createNamespace, installCrd, scheduleManifest } from '../support/env.js';
import { eventually, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { freePort, startOperator, type OperatorProcess } from '../support/operator.js';
import { CHART, run } from './chart-helpers.js';
import { selfSignedTls } from './webhook-tls.js';

const SCRIPT = `${CHART}/files/helm-test.mjs`;
let kube: TestKube;
let kubeconfig: string;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;
let dir: string;
let release: string;
const vwcName = `helm-test-${Math.random().toString(36).slice(2, 7)}`;

function runScript(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'helmtest');
  release = ns.name;
  dir = mkdtempSync(join(tmpdir(), 'so-helm-test-'));
  const { caPem } = selfSignedTls(dir);

  // The real operator (leader election and webhook on), here: the chart's Pods only "run" under kwok.
  operator = await startOperator({
    kubeconfig,
    args: [
      `--watch-namespaces=${ns.name}`,
      `--leader-election-namespace=${ns.name}`,
      `--webhook-bind-address=127.0.0.1:${await freePort()}`,
      `--webhook-cert-dir=${dir}`,
    ],
  });
  await operator.waitReady();
  const port = /--webhook-bind-address=127\.0\.0\.1:(\d+)/.exec(operator.child.spawnargs.join(' '))![1];
  await kube.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: vwcName },
    webhooks: [
      {
        name: 'schedules.schedule-operator.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        clientConfig: { url: `https://127.0.0.1:${port}${WEBHOOK_PATH}`, caBundle: Buffer.from(caPem).toString('base64') },
        rules: [
          {
            apiGroups: ['schedule-operator.io'],
            apiVersions: ['v1alpha1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['schedules'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
      },
    ],
  });
  await eventually(
    'the webhook to be called by the API server',
    async () => {
      const bad = scheduleManifest(ns.name, 'probe', { schedule: '0 0 31 2 *' });
      return kube.rest.request('POST', schedulesPath(ns.name), { body: bad, query: { dryRun: 'All' } }).then(
        () => false,
        (err: Error) => /denied the request/.test(err.message),
      );
    },
    30_000,
    500,
  );

  // The chart, with its own webhook registration matching no namespace (its Pods cannot answer here).
  const r = await run('helm', [
    'install',
    release,
    CHART,
    '--namespace',
    ns.name,
    '--kubeconfig',
    kubeconfig,
    '--set',
    'crds.install=false',
    '--set',
    'ledgerPolicy.enabled=false',
    '--set',
    'replicaCount=1',
    '--set',
    'webhook.namespaceSelector.matchLabels.schedule-operator\\.io/helm-test=never',
  ]);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await run('helm', ['uninstall', release, '--namespace', ns.name, '--kubeconfig', kubeconfig]);
  await kube?.remove(`/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${vwcName}`);
  await operator?.stop();
  await ns?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('helm test', () => {
  it("creates the test Pod in the operator's image with the chart's script; kwok schedules it but runs nothing, so helm test times out", async () => {
    const r = await run('helm', ['test', release, '--namespace', ns.name, '--kubeconfig', kubeconfig, '--timeout', '15s']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/timed out|deadline exceeded|context canceled/i);
    const pod = await kube.get(`/api/v1/namespaces/${ns.name}/pods/${release}-schedule-operator-test`);
    expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
    expect(pod.status.phase).toBe('Running');
    const c = pod.spec.containers[0];
    expect(c.image).toBe(`schedule-operator:${parse(readFileSync(`${CHART}/Chart.yaml`, 'utf8')).appVersion}`);
    expect(c.command.slice(0, 3)).toEqual(['node', '--input-type=module', '--eval']);
    expect(c.command[3]).toBe(readFileSync(SCRIPT, 'utf8'));
    expect(pod.spec.serviceAccountName).toBe(`${release}-schedule-operator-test`);
    // not selected by the operator's Services or PodDisruptionBudget
    const svc = await kube.get(`/api/v1/namespaces/${ns.name}/services/${release}-schedule-operator-metrics`);
    expect(Object.entries(svc.spec.selector).every(([k, v]) => pod.metadata.labels[k] === v)).toBe(false);
  });

  it('the test script, run as the test Pod runs it (its ServiceAccount and environment), passes against the real API server and operator', async () => {
    const pod = await kube.get(`/api/v1/namespaces/${ns.name}/pods/${release}-schedule-operator-test`);
    const podEnv = Object.fromEntries(pod.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(podEnv).toMatchObject({
      READYZ_URL: `http://${release}-schedule-operator-metrics.${ns.name}.svc:8081/readyz`,
      LEADER_ELECTION: 'true',
      LEASE_NAME: 'schedule-operator-leader',
      WEBHOOK_ENABLED: 'true',
      SCHEDULE_NAMESPACE: ns.name,
    });
    const tokenRequest = await kube.create(`/api/v1/namespaces/${ns.name}/serviceaccounts/${release}-schedule-operator-test/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 600 },
    });
    writeFileSync(join(dir, 'token'), tokenRequest.status.token);
    const cluster = parse(readFileSync(kubeconfig, 'utf8')).clusters[0].cluster;
    writeFileSync(join(dir, 'api-ca.crt'), Buffer.from(cluster['certificate-authority-data'], 'base64'));

    const r = await runScript({
      ...podEnv,
      READYZ_URL: `${operator.healthUrl}/readyz`,
      API_SERVER: cluster.server,
      API_TOKEN_FILE: join(dir, 'token'),
      NODE_EXTRA_CA_CERTS: join(dir, 'api-ca.crt'),
      TIMEOUT_SECONDS: '30',
    });
    console.log(r.out.trim());
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^ok {3}the operator answers on \/readyz through its Service: .*"ready":true/m);
    expect(r.out).toMatch(/^ok {3}a replica leads \(Lease .*\/schedule-operator-leader\): /m);
    expect(r.out).toMatch(/^ok {3}a valid Schedule is admitted \(dry run in .*\): 201/m);
    expect(r.out).toMatch(
      /^ok {3}an invalid Schedule is refused by the webhook .*admission webhook "schedules.schedule-operator.io" denied the request/m,
    );
    expect(r.out.trim()).toMatch(/all checks passed$/);
    // dry runs: nothing was stored
    const list = await kube.get(schedulesPath(ns.name));
    expect(list.items.filter((s: any) => s.metadata.name.startsWith('helm-test-'))).toEqual([]);
  });

  it('the test script fails, naming the check, when the operator does not answer or the webhook is not there', async () => {
    const r = await runScript({
      READYZ_URL: `http://127.0.0.1:${await freePort()}/readyz`,
      API_SERVER: parse(readFileSync(kubeconfig, 'utf8')).clusters[0].cluster.server,
      API_TOKEN_FILE: join(dir, 'token'),
      NODE_EXTRA_CA_CERTS: join(dir, 'api-ca.crt'),
      TIMEOUT_SECONDS: '1',
      LEADER_ELECTION: 'true',
      LEASE_NAMESPACE: ns.name,
      LEASE_NAME: 'no-such-lease',
      WEBHOOK_ENABLED: 'true',
      SCHEDULE_NAMESPACE: 'default',
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL the operator answers on \/readyz/m);
    expect(r.out).toMatch(/^FAIL a replica leads .*: GET Lease answered 403/m);
    expect(r.out).toMatch(/^FAIL a valid Schedule is admitted .*403/m);
    expect(r.out.trim()).toMatch(/4 check\(s\) failed$/);
  });
});
