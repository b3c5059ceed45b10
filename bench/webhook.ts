// Webhook latency under concurrency: `KUBECONFIG=... npx tsx bench/webhook.ts [--requests 1000] [--concurrency 50] [--users 5]`.
//
//   direct   AdmissionReviews POSTed over HTTPS to the webhook (validateSpec + SubjectAccessReview + CronJob
//            dry run against the real API server), `concurrency` in flight at once
//   via-api  Schedules created with dryRun=All through the API server, which calls the webhook (registered
//            by a ValidatingWebhookConfiguration to 127.0.0.1): what `kubectl apply` waits for
//
// Request i comes from user bench-user-<i mod users> (impersonated in via-api), each allowed by a RoleBinding
// in the bench namespace: a realistic admission stream is a few users (CI, Argo CD's controller, people with
// kubectl) applying many objects, which is what the webhook's SubjectAccessReview cache is for. `--users`
// as large as `--requests` is the cache's worst case (every question new).
//
// Prints p50/p95/p99/max per phase. Needs a cluster with the Schedule CRD (make cluster-up) and openssl.
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadKubeconfig } from '../src/kube/kubeconfig.js';
import { restClient, type Rest } from '../src/kube/rest.js';
import { WEBHOOK_PATH, startWebhookServer, webhookRouter } from '../src/webhook/server.js';
import { webhookDeps } from '../src/webhook/start.js';
import { selfSignedTls } from '../test/integration/webhook-tls.js';
import { percentile } from './stats.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const REQUESTS = arg('requests', 1000);
const CONCURRENCY = arg('concurrency', 50);
const USERS = arg('users', 5);
const user = (i: number) => `bench-user-${i % USERS}`;

async function measure(name: string, one: (i: number) => Promise<void>): Promise<void> {
  const times: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const t = performance.now();
        try {
          await one(i);
        } catch (err) {
          errors++;
          if (errors <= 3) console.error(`${name}: ${(err as Error).message}`);
        }
        times.push(performance.now() - t);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `${name.padEnd(8)} ${REQUESTS} requests, ${CONCURRENCY} concurrent, ${Math.min(USERS, REQUESTS)} users: p50 ${f(percentile(times, 50))}, p95 ${f(percentile(times, 95))}, ` +
      `p99 ${f(percentile(times, 99))}, max ${f(times.at(-1)!)}; ${(REQUESTS / wall).toFixed(0)}/s; errors ${errors}`,
  );
}

async function main(): Promise<void> {
  const kc = loadKubeconfig();
  const rest = restClient(kc);
  const dir = mkdtempSync(join(tmpdir(), 'so-bench-'));
  const { caPem } = selfSignedTls(dir);
  // The webhook gets its own client (own sockets), as in main.ts: the driver's requests wait for the webhook.
  const deps = webhookDeps(restClient(kc), { checkJobPermission: true, minIntervalMinutes: undefined });
  const router = webhookRouter(deps);
  const sarStats = (deps.canCreateJobs as { stats?: () => { hits: number; misses: number; shared: number } }).stats;
  const reportSar = () =>
    sarStats &&
    console.log(
      `         SubjectAccessReviews: ${sarStats().misses} asked, ${sarStats().hits} answered from the cache, ${sarStats().shared} shared a call in flight`,
    );
  const server = await startWebhookServer(router, { host: '127.0.0.1', port: 0, certDir: dir });
  const ns = `bench-${process.pid}`;
  const vwc = `schedule-operator-bench-${process.pid}`;
  const crd = parse(readFileSync('crds/schedule-operator.io_schedules.yaml', 'utf8'));
  await rest.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
    body: crd,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'bench', force: 'true' },
  });
  await rest.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  try {
    // Every authenticated user may create Schedules and Jobs in the bench namespace (and nowhere else).
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    await rest.request('POST', `${rbac}/namespaces/${ns}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'bench' },
        rules: [
          { apiGroups: ['schedule-operator.io'], resources: ['schedules'], verbs: ['create'] },
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
        ],
      },
    });
    await rest.request('POST', `${rbac}/namespaces/${ns}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'bench' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bench' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
      },
    });
    // One client per impersonated user (kubeconfig `as:`), as separate kubectl users would be.
    const clients = new Map<string, Rest>();
    const as = (name: string): Rest => {
      let client = clients.get(name);
      if (!client) {
        // The same kubeconfig with `as: <name>` on every user, beside the original so relative paths still resolve.
        const doc = parse(readFileSync(kc.source, 'utf8'));
        for (const u of doc.users) u.user.as = name;
        const file = join(dirname(kc.source), `.bench-as-${name}.kubeconfig`);
        writeFileSync(file, stringify(doc));
        try {
          clients.set(name, (client = restClient(loadKubeconfig({ kubeconfig: file }))));
        } finally {
          rmSync(file, { force: true });
        }
      }
      return client;
    };
    const spec = (i: number) => ({
      schedule: `${i % 60} 3 * * *`,
      timeZone: 'Europe/Berlin',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } } },
    });
    const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: caPem });
    await measure(
      'direct',
      (i) =>
        new Promise<void>((resolve, reject) => {
          const body = JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            request: {
              uid: `u${i}`,
              kind: { group: 'schedule-operator.io', version: 'v1alpha1', kind: 'Schedule' },
              operation: 'CREATE',
              namespace: ns,
              name: `s${i}`,
              userInfo: { username: user(i), groups: ['system:authenticated'] },
              object: { metadata: { name: `s${i}`, namespace: ns }, spec: spec(i) },
            },
          });
          const req = https.request(
            {
              host: '127.0.0.1',
              port: server.port,
              path: WEBHOOK_PATH,
              method: 'POST',
              agent,
              headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
            },
            (res) => {
              let text = '';
              res.on('data', (c) => (text += c));
              res.on('end', () => (JSON.parse(text).response?.allowed ? resolve() : reject(new Error(`refused: ${text.slice(0, 300)}`))));
            },
          );
          req.on('error', reject);
          req.end(body);
        }),
    );
    reportSar();

    await rest.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: vwc },
        webhooks: [
          {
            name: 'schedules.schedule-operator.io',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            timeoutSeconds: 10,
            clientConfig: { url: `https://127.0.0.1:${server.port}${WEBHOOK_PATH}`, caBundle: Buffer.from(caPem).toString('base64') },
            rules: [{ apiGroups: ['schedule-operator.io'], apiVersions: ['v1alpha1'], operations: ['CREATE'], resources: ['schedules'] }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          },
        ],
      },
    });
    await new Promise((r) => setTimeout(r, 2000)); // the API server picks the registration up asynchronously
    await measure('via-api', async (i) => {
      await as(user(i)).request('POST', `/apis/schedule-operator.io/v1alpha1/namespaces/${ns}/schedules`, {
        body: { apiVersion: 'schedule-operator.io/v1alpha1', kind: 'Schedule', metadata: { name: `s${i}` }, spec: spec(i) },
        query: { dryRun: 'All' },
      });
    });
    reportSar();
  } finally {
    await rest.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${vwc}`).catch(() => undefined);
    await rest.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/webhook.ts: ${(err as Error).message}`);
    process.exit(1);
  },
);
