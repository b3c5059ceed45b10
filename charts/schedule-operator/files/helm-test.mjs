// `helm test` for schedule-operator. The chart's test Pod (templates/tests/operator-test.yaml) runs this file
// with Node in the operator's own image, so the test needs no other image (air-gapped clusters included).
// It checks, through the cluster's own paths:
//   1. the operator answers: GET /readyz through its Service is 200 (informer caches synced)
//   2. a replica leads: the leader Lease has a holder and was renewed within its duration (API server's clock)
//   3. the webhook admits a valid Schedule: server-side dry run of a create, nothing is stored
//   4. the webhook refuses an invalid one: the API server's answer names the admission webhook
// Configuration comes from the environment the Pod sets (API_SERVER, API_TOKEN_FILE and NODE_EXTRA_CA_CERTS
// default to the in-cluster service account, so the same file runs outside a cluster for tests).
// Exit status 0 when every check passes; each check prints one line.
import { readFileSync } from 'node:fs';

const env = process.env;
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const api = env.API_SERVER ?? `https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT}`;
const token = readFileSync(env.API_TOKEN_FILE ?? `${SA}/token`, 'utf8').trim();
const timeoutMs = Number(env.TIMEOUT_SECONDS ?? '60') * 1000;
const namespace = env.SCHEDULE_NAMESPACE;
let failed = 0;

async function kube(method, path, body) {
  const res = await fetch(api + path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, date: res.headers.get('date'), json, text };
}

/** check retries fn until it returns a detail string or the time is up; prints ok/FAIL with the last error. */
async function check(name, fn, { retry = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const detail = await fn();
      console.log(`ok   ${name}: ${detail}`);
      return;
    } catch (err) {
      if (!retry || Date.now() > deadline) {
        failed++;
        console.log(`FAIL ${name}: ${err.message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

await check('the operator answers on /readyz through its Service', async () => {
  const res = await fetch(env.READYZ_URL, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${env.READYZ_URL} answered ${res.status}: ${body}`);
  return `${env.READYZ_URL} ${body}`;
});

if (env.LEADER_ELECTION === 'true') {
  await check(`a replica leads (Lease ${env.LEASE_NAMESPACE}/${env.LEASE_NAME})`, async () => {
    const r = await kube('GET', `/apis/coordination.k8s.io/v1/namespaces/${env.LEASE_NAMESPACE}/leases/${env.LEASE_NAME}`);
    if (r.status !== 200) throw new Error(`GET Lease answered ${r.status}: ${r.json?.message ?? r.text}`);
    const spec = r.json.spec ?? {};
    if (!spec.holderIdentity) throw new Error('the Lease has no holder');
    const age = (Date.parse(r.date) - Date.parse(spec.renewTime)) / 1000;
    const limit = (spec.leaseDurationSeconds ?? 15) + 2;
    if (!(age <= limit))
      throw new Error(`${spec.holderIdentity} last renewed ${age.toFixed(1)} s ago (Lease duration ${spec.leaseDurationSeconds} s)`);
    return `${spec.holderIdentity}, renewed ${Math.max(0, age).toFixed(1)} s ago`;
  });
}

if (env.WEBHOOK_ENABLED === 'true') {
  const schedule = (name, spec) => ({
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name, namespace },
    spec: {
      ...spec,
      jobTemplate: {
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'test', image: 'busybox:1.36', command: ['true'] }] } } },
      },
    },
  });
  const suffix = Math.random().toString(36).slice(2, 8);
  const create = (obj) => kube('POST', `/apis/schedule-operator.io/v1alpha1/namespaces/${namespace}/schedules?dryRun=All`, obj);

  await check(`a valid Schedule is admitted (dry run in ${namespace})`, async () => {
    const r = await create(schedule(`helm-test-${suffix}`, { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }));
    if (r.status !== 201 && r.status !== 200) throw new Error(`dry-run create answered ${r.status}: ${r.json?.message ?? r.text}`);
    return `${r.status}, Schedule ${namespace}/helm-test-${suffix} (not stored)`;
  });

  await check(`an invalid Schedule is refused by the webhook (dry run in ${namespace})`, async () => {
    const r = await create(schedule(`helm-test-invalid-${suffix}`, { schedule: '0 0 31 2 *' }));
    const message = r.json?.message ?? r.text;
    if (r.status < 400)
      throw new Error(`a Schedule that never fires ("0 0 31 2 *") was admitted (${r.status}): is the webhook registered for ${namespace}?`);
    if (!/admission webhook .* denied the request/.test(message))
      throw new Error(`refused, but not by the webhook (${r.status}): ${message}`);
    return message;
  });
}

console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
