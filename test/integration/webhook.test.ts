// The admission webhook registered with the real API server: a ValidatingWebhookConfiguration pointing at
// https://127.0.0.1:<port> (this process) with the CA bundle, scoped to this file's namespace, with the rules
// the chart renders (so an annotation-only patch is known to reach the webhook). Shows what a user sees at
// `kubectl apply`, the API server's own dry-run refusal of a broken jobTemplate, and the confused-deputy guard
// for an impersonated user who may create and patch Schedules but not Jobs - at create, and when setting the
// run-now or resume token (issue 9.2), through kubectl and `schedule-operator run`/`resume`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main as cli } from '../../src/cli.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { restClient } from '../../src/kube/rest.js';
import { WEBHOOK_PATH, startWebhookServer, webhookRouter, type WebhookServer } from '../../src/webhook/server.js';
import { webhookDeps } from '../../src/webhook/start.js';
import { clusterKubeconfig, createNamespace, installCrd, scheduleManifest } from '../support/env.js';
import { eventually, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { freePort } from '../support/operator.js';
import { render, run } from './chart-helpers.js';
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

  // The operator's wiring (SubjectAccessReview answers cached), as startWebhook builds it.
  const router = webhookRouter(
    webhookDeps(restClient(loadKubeconfig({ kubeconfig })), { checkJobPermission: true, minIntervalMinutes: undefined }),
  );
  server = await startWebhookServer(router, { host: '127.0.0.1', port: await freePort(), certDir });

  // The chart's webhook entry (rules, operations, matchPolicy, any matchConditions) with this server's address.
  const chartVwc = (await render('so-webhook-test', 'schedule-operator')).find((o) => o.kind === 'ValidatingWebhookConfiguration');
  const { clientConfig: _service, namespaceSelector: _selector, ...fromChart } = chartVwc.webhooks[0];
  await kube.create('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: vwcName },
    webhooks: [
      {
        ...fromChart,
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        clientConfig: { url: `https://127.0.0.1:${server.port}${WEBHOOK_PATH}`, caBundle: Buffer.from(caPem).toString('base64') },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
      },
    ],
  });

  // mallory may manage Schedules in the namespace but not create Jobs; bob may do both.
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await kube.create(`${rbac}/namespaces/${ns.name}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'schedules' },
    rules: [{ apiGroups: ['schedule-operator.io'], resources: ['schedules'], verbs: ['get', 'list', 'create', 'update', 'patch'] }],
  });
  await kube.create(`${rbac}/namespaces/${ns.name}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'jobs' },
    rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] }],
  });
  const bind = (name: string, role: string, users: string[]) =>
    kube.create(`${rbac}/namespaces/${ns.name}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
      subjects: users.map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u })),
    });
  await bind('schedules', 'schedules', ['mallory', 'bob']);
  await bind('jobs', 'jobs', ['bob']);

  // The registration takes effect asynchronously: wait until a bad Schedule is refused by it.
  await eventually(
    'the webhook to be called by the API server',
    async () => {
      const r = await kubectlApply(scheduleManifest(ns.name, 'probe', { schedule: '0 0 31 2 *' }));
      return r.code !== 0 && r.stderr.includes('denied the request');
    },
    30_000,
    500,
  );
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
    expect(r.stderr).toContain(
      `admission webhook "schedules.schedule-operator.io" denied the request: Schedule "${ns.name}/berlin" is invalid: spec.timeZone: unknown time zone "europe/berlin": names are case-sensitive in Kubernetes, write "Europe/Berlin"`,
    );
    expect(await kube.get(schedulesPath(ns.name, 'berlin'))).toBeUndefined();
  });

  it("refuses a broken jobTemplate in the API server's words (server-side dry run of the CronJob)", async () => {
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

  it('admits expectSuccessWithin shorter than a weekend on a weekday schedule, and kubectl shows the warning', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'weekdays', { schedule: '0 2 * * 1-5', expectSuccessWithin: '25h' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Warning: spec.expectSuccessWithin: "25h" is shorter than the longest gap between two runs (3d, from Friday to Monday)',
    );
    expect((await kube.get(schedulesPath(ns.name, 'weekdays'))).spec.expectSuccessWithin).toBe('25h');
  });

  it('refuses a user who may create Schedules but not Jobs (confused-deputy guard), with the reason', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'sneaky', { interval: '15m' }), impersonating('mallory'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `denied the request: Schedule "${ns.name}/sneaky" is refused: user "mallory" may not create Jobs in namespace "${ns.name}"`,
    );
    expect(r.stderr).toContain('Ask for permission to create jobs.batch');
    expect(await kube.get(schedulesPath(ns.name, 'sneaky'))).toBeUndefined();
  });

  it('admits the same Schedule from a user who may create Jobs', async () => {
    const r = await kubectlApply(scheduleManifest(ns.name, 'sneaky', { interval: '15m' }), impersonating('bob'));
    expect(r.code, r.stderr).toBe(0);
  });

  it('lets a user without Job rights change labels and other annotations (spec unchanged)', async () => {
    const mallory = impersonating('mallory');
    const r = await run('kubectl', ['--kubeconfig', mallory, '-n', ns.name, 'annotate', 'schedule', 'sneaky', 'example.com/owner=mallory']);
    expect(r.code, r.stderr).toBe(0);
    const l = await run('kubectl', ['--kubeconfig', mallory, '-n', ns.name, 'label', 'schedule', 'sneaky', 'tier=batch']);
    expect(l.code, l.stderr).toBe(0);
  });
});

describe('run-now and resume tokens need the right to create Jobs (issue 9.2)', () => {
  const annotate = (user: string, ...kv: string[]) =>
    run('kubectl', ['--kubeconfig', impersonating(user), '-n', ns.name, 'annotate', '--overwrite', 'schedule', 'sneaky', ...kv]);
  const annotations = async () => (await kube.get(schedulesPath(ns.name, 'sneaky'))).metadata.annotations ?? {};

  for (const [annotation, words] of [
    ['schedule-operator.io/run-requested-at', 'run-now starts a Job'],
    ['schedule-operator.io/resume-requested-at', 'resuming a paused Schedule lets it start Jobs again'],
  ] as const) {
    it(`refuses ${annotation} (kubectl annotate, a metadata-only patch) from a user who may patch Schedules but not create Jobs`, async () => {
      const r = await annotate('mallory', `${annotation}=mallory-1`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        `admission webhook "schedules.schedule-operator.io" denied the request: Schedule "${ns.name}/sneaky": setting metadata.annotations["${annotation}"] is refused: ` +
          `user "mallory" may not create jobs in namespace "${ns.name}": ${words}, so it needs the same right as kubectl create job --from=cronjob/sneaky`,
      );
      expect((await annotations())[annotation]).toBeUndefined();
    });

    it(`admits ${annotation} from a user who may create Jobs, and lets anyone remove it`, async () => {
      const r = await annotate('bob', `${annotation}=bob-1`);
      expect(r.code, r.stderr).toBe(0);
      expect((await annotations())[annotation]).toBe('bob-1');
      const again = await annotate('mallory', `${annotation}=bob-1`); // unchanged: nothing requested
      expect(again.code, again.stderr).toBe(0);
      const removed = await annotate('mallory', `${annotation}-`);
      expect(removed.code, removed.stderr).toBe(0);
      expect((await annotations())[annotation]).toBeUndefined();
    });
  }

  it('refuses a 10 KiB token or one with control characters, naming the annotation and the limit', async () => {
    const long = await run('kubectl', [
      '--kubeconfig',
      impersonating('bob'),
      '-n',
      ns.name,
      'annotate',
      '--overwrite',
      'schedule',
      'sneaky',
      `schedule-operator.io/run-requested-at=${'x'.repeat(10 * 1024)}`,
    ]);
    expect(long.code).not.toBe(0);
    expect(long.stderr).toContain(
      `denied the request: Schedule "${ns.name}/sneaky" is invalid: metadata.annotations["schedule-operator.io/run-requested-at"]: the token is 10240 characters long; a token is at most 253 printable characters`,
    );
    const patch = JSON.stringify({ metadata: { annotations: { 'schedule-operator.io/resume-requested-at': 'a\nb' } } });
    const ctl = await run('kubectl', [
      '--kubeconfig',
      impersonating('bob'),
      '-n',
      ns.name,
      'patch',
      'schedule',
      'sneaky',
      '--type=merge',
      '-p',
      patch,
    ]);
    expect(ctl.code).not.toBe(0);
    expect(ctl.stderr).toContain(
      'metadata.annotations["schedule-operator.io/resume-requested-at"]: the token contains the unprintable character U+000A at position 1',
    );
    expect(await annotations()).not.toHaveProperty('schedule-operator.io/run-requested-at');
  });

  for (const command of ['run', 'resume'] as const) {
    it(`\`schedule-operator ${command}\` prints the webhook's refusal on one line and exits 1; succeeds for a user who may create Jobs`, async () => {
      const io = () => {
        const out = { stdout: [] as string[], stderr: [] as string[] };
        return { out, io: { stdout: (l: string) => out.stdout.push(l), stderr: (l: string) => out.stderr.push(l), now: () => new Date() } };
      };
      const refused = io();
      expect(await cli([command, 'sneaky', '-n', ns.name, '--kubeconfig', impersonating('mallory')], refused.io)).toBe(1);
      expect(refused.out.stdout).toEqual([]);
      expect(refused.out.stderr).toHaveLength(1);
      expect(refused.out.stderr[0]).toMatch(
        new RegExp(
          `^schedule-operator ${command}: admission webhook "schedules.schedule-operator.io" denied the request: .*user "mallory" may not create jobs in namespace "${ns.name}".*kubectl create job --from=cronjob/sneaky`,
        ),
      );
      expect(refused.out.stderr[0]).not.toContain('\n');

      const ok = io();
      expect(await cli([command, 'sneaky', '-n', ns.name, '--kubeconfig', impersonating('bob')], ok.io), ok.out.stderr.join('')).toBe(0);
      expect(ok.out.stdout[0]).toMatch(new RegExp(`^${command} requested for Schedule ${ns.name}/sneaky \\(token `));
    });
  }
});

describe('the webhook served by the operator process (main.ts wiring)', () => {
  it('answers AdmissionReviews over HTTPS on --webhook-bind-address with the certificate from --webhook-cert-dir', async () => {
    const { startOperator } = await import('../support/operator.js');
    const https = await import('node:https');
    const port = await freePort();
    const op = await startOperator({
      kubeconfig,
      args: [
        `--watch-namespaces=${ns.name}`,
        `--leader-election-namespace=${ns.name}`,
        `--webhook-bind-address=127.0.0.1:${port}`,
        `--webhook-cert-dir=${certDir}`,
      ],
    });
    try {
      await op.waitReady(60_000);
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'r1',
          kind: { group: 'schedule-operator.io', version: 'v1alpha1', kind: 'Schedule' },
          operation: 'CREATE',
          namespace: ns.name,
          name: 'x',
          userInfo: { username: 'mallory', groups: ['system:authenticated'] },
          object: { metadata: { name: 'x', namespace: ns.name }, spec: scheduleManifest(ns.name, 'x', { interval: '15m' }).spec },
        },
      };
      const body = JSON.stringify(review);
      const answer = await new Promise<any>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: WEBHOOK_PATH,
            method: 'POST',
            ca: readFileSync(join(certDir, 'ca.crt')),
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve(JSON.parse(text)));
          },
        );
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
