// The admission webhook registered with the real API server: a ValidatingWebhookConfiguration pointing at
// https://127.0.0.1:<port> (this process) with the CA bundle, scoped to this file's namespace. Shows what a
// user sees at `kubectl apply`, the API server's own dry-run refusal of a broken jobTemplate, and the
// confused-deputy guard for an impersonated user who may create Schedules but not Jobs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { restClient } from '../../src/kube/rest.js';
import { webhookKube } from '../../src/webhook/kube.js';
import { WEBHOOK_PATH, startWebhookServer, webhookRouter, type WebhookServer } from '../../src/webhook/server.js';
import { clusterKubeconfig, createNamespace, installCrd, scheduleManifest } from '../support/env.js';
import { eventually, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { freePort } from '../support/operator.js';
import { run } from './chart-helpers.js';
import { selfSignedTls } from './webhook-tls.js';

let kube: TestKube;
let kubeconfig: string;
let ns: { name: string; remove: () => Promise<void> };
let server: WebhookServer;
let certDir: string;
const vwcName = `schedule-operator-test-${Math.random().toString(36).slice(2, 7)}`;

/** impersonating writes a kubeconfig that acts as `user` (kubeconfig `as:`, the Impersonate-User header). */
function impersonating(user: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const doc = JSON.parse(kc.exportConfig());
  for (const u of doc.users) u.user.as = user;
  const path = join(certDir, `kubeconfig-${user}`);
  writeFileSync(path, stringify(doc));
  return path;
}

async function kubectlApply(manifest: unknown, asKubeconfig = kubeconfig) {
  return run('kubectl', ['--kubeconfig', asKubeconfig, 'apply', '-f', '-'], {}, stringify(manifest));
}

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'webhook');
  certDir = mkdtempSync(join(tmpdir(), 'so-webhook-'));
  const { caPem } = selfSignedTls(certDir);

  const router = webhookRouter({ ...webhookKube(restClient(loadKubeconfig({ kubeconfig }))), checkJobPermission: true, minIntervalMinutes: undefined });
  server = await startWebhookServer(router, { host: '127.0.0.1', port: await freePort(), certDir });

  await kube.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: vwcName },
    webhooks: [{
      name: 'schedules.schedule-operator.io',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      clientConfig: { url: `https://127.0.0.1:${server.port}${WEBHOOK_PATH}`, caBundle: Buffer.from(caPem).toString('base64') },
      rules: [{ apiGroups: ['schedule-operator.io'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['schedules'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
    }],
  });

  // mallory may manage Schedules in the namespace but not create Jobs; bob may do both.
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await kube.create(`${rbac}/namespaces/${ns.name}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'schedules' }, rules: [{ apiGroups: ['schedule-operator.io'], resources: ['schedules'], verbs: ['get', 'list', 'create', 'update', 'patch'] }] });
  await kube.create(`${rbac}/namespaces/${ns.name}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'jobs' }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] }] });
  const bind = (name: string, role: string, users: string[]) => kube.create(`${rbac}/namespaces/${ns.name}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects: users.map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u })),
  });
  await bind('schedules', 'schedules', ['mallory', 'bob']);
  await bind('jobs', 'jobs', ['bob']);

  // The registration takes effect asynchronously: wait until a bad Schedule is refused by it.
  await eventually('the webhook to be called by the API server', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'probe', { schedule: '0 0 31 2 *' }));
    return r.code !== 0 && r.stderr.includes('denied the request');
  }, 30_000, 500);
});

afterAll(async () => {
  await kube?.remove(`/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${vwcName}`);
  await server?.close();
  await ns?.remove();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('the webhook, registered with the real API server', () => {
  it('refuses an invalid Schedule at kubectl apply, naming the field and the fix', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'berlin', { schedule: '0 3 * * *', timeZone: 'europe/berlin' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`admission webhook "schedules.schedule-operator.io" denied the request: Schedule "${ns.name}/berlin" is invalid: spec.timeZone: unknown time zone "europe/berlin": names are case-sensitive in Kubernetes, write "Europe/Berlin"`);
    expect(await kube.get(schedulesPath(ns.name, 'berlin'))).toBeUndefined();
  });

  it('refuses a broken jobTemplate in the API server\'s words (server-side dry run of the CronJob)', async () => {
    const m = scheduleManifest(ns.name, 'no-image', { schedule: '0 3 * * *' }) as any;
    delete m.spec.jobTemplate.spec.template.spec.containers[0].image;
    m.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
    const r = await kubectlApply(m);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/denied the request: Schedule ".*\/no-image" is invalid: the API server refuses the CronJob it would run: /);
    expect(r.stderr).toContain('spec.jobTemplate.spec.template.spec.containers[0].image: Required value');
    expect(r.stderr).toMatch(/spec.jobTemplate.spec.template.spec.restartPolicy: (Unsupported|Required) value/);
    expect(r.stderr).toContain('fix spec.jobTemplate');
  });

  it('admits a valid Schedule, and an invalid change to it is refused', async () => {
    const ok = await kubectlApply(scheduleManifest(ns.name, 'nightly', { schedule: '0 3 * * *', timeZone: 'Europe/Berlin' }));
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await kubectlApply(scheduleManifest(ns.name, 'nightly', { schedule: '0 0 30 2 *', timeZone: 'Europe/Berlin' }));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec.schedule: "0 0 30 2 \*" can never run/);
    const stored = await kube.get(schedulesPath(ns.name, 'nightly'));
    expect(stored.spec.schedule).toBe('0 3 * * *');
  });

  it('refuses a user who may create Schedules but not Jobs (confused-deputy guard), with the reason', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'sneaky', { interval: '15m' }), impersonating('mallory'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`denied the request: Schedule "${ns.name}/sneaky" is refused: user "mallory" may not create Jobs in namespace "${ns.name}"`);
    expect(r.stderr).toContain('Ask for permission to create jobs.batch');
    expect(await kube.get(schedulesPath(ns.name, 'sneaky'))).toBeUndefined();
  });

  it('admits the same Schedule from a user who may create Jobs', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'sneaky', { interval: '15m' }), impersonating('bob'));
    expect(r.code, r.stderr).toBe(0);
  });

  it('lets a user without Job rights change labels and annotations (spec unchanged), e.g. run-now', async () => {
    const r = await run('kubectl', ['--kubeconfig', impersonating('mallory'), '-n', ns.name, 'annotate', 'schedule', 'sneaky', 'schedule-operator.io/run-requested-at=now-1']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('the webhook served by the operator process (main.ts wiring)', () => {
  it('answers AdmissionReviews over HTTPS on --webhook-bind-address with the certificate from --webhook-cert-dir', async () => {
    const { startOperator } = await import('../support/operator.js');
    const https = await import('node:https');
    const port = await freePort();
    const op = await startOperator({
      kubeconfig,
      args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, `--webhook-bind-address=127.0.0.1:${port}`, `--webhook-cert-dir=${certDir}`],
    });
    try {
      await op.waitReady(60_000);
      const review = {
        apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
        request: { uid: 'r1', kind: { group: 'schedule-operator.io', version: 'v1alpha1', kind: 'Schedule' }, operation: 'CREATE', namespace: ns.name, name: 'x',
          userInfo: { username: 'mallory', groups: ['system:authenticated'] }, object: { metadata: { name: 'x', namespace: ns.name }, spec: scheduleManifest(ns.name, 'x', { interval: '15m' }).spec } },
      };
      const body = JSON.stringify(review);
      const answer = await new Promise<any>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: WEBHOOK_PATH, method: 'POST', ca: readFileSync(join(certDir, 'ca.crt')), headers: { 'Content-Type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(JSON.parse(text)));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.response).toMatchObject({ uid: 'r1', allowed: false, status: { code: 403 } });
      expect(answer.response.status.message).toContain('user "mallory" may not create Jobs');
      const metrics = await (await fetch(op.metricsUrl)).text();
      expect(metrics).toMatch(/controller_runtime_webhook_requests_total\{webhook="\/validate-schedule",code="200"\} 1/);
    } finally {
      await op.stop();
    }
  });
});
