// The Helm chart: lint, render with default and non-default values, refuse bad values (values.schema.json),
// and install into the real test cluster where the API server accepts every object.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterKubeconfig } from '../support/env.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { CHART, render, run } from './chart-helpers.js';

const NON_DEFAULT = [
  '--set',
  'watchNamespaces={team-a,team-b}',
  '--set',
  'webhook.certManager.enabled=true',
  '--set',
  'metrics.serviceMonitor.enabled=true',
  '--set',
  'networkPolicy.enabled=true',
  '--set',
  'callbacks.readSecrets=false',
  '--set',
  'operator.minIntervalMinutes=5',
  '--set',
  'replicaCount=3',
  '--set',
  'alerts.enabled=true',
  '--set',
  'dashboard.enabled=true',
];

const kinds = (objs: any[]) =>
  objs.map((o) => `${o.kind}/${o.metadata.name}${o.metadata.namespace ? `@${o.metadata.namespace}` : ''}`).sort();
const rulesOf = (objs: any[]) =>
  objs
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .flatMap((o) => o.rules.map((r: any) => ({ ...r, owner: `${o.kind}/${o.metadata.name}` })));

describe('helm lint and template', () => {
  it('lints cleanly (--strict) with default values', async () => {
    const r = await run('helm', ['lint', '--strict', CHART]);
    expect(r.stderr + r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.code).toBe(0);
  });

  it('lints cleanly (--strict) with non-default values', async () => {
    const r = await run('helm', ['lint', '--strict', CHART, ...NON_DEFAULT]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('renders, by default, a cluster-wide operator with webhook, Helm-generated TLS, PDB and a kept CRD', async () => {
    const objs = await render('so', 'so-system', ['--skip-tests']);
    expect(kinds(objs)).toEqual([
      'ClusterRole/so-schedule-operator',
      'ClusterRole/so-schedule-operator-access-review',
      'ClusterRoleBinding/so-schedule-operator',
      'ClusterRoleBinding/so-schedule-operator-access-review',
      'CustomResourceDefinition/schedules.schedule-operator.io',
      'Deployment/so-schedule-operator@so-system',
      'PodDisruptionBudget/so-schedule-operator@so-system',
      'Role/so-schedule-operator-leader-election@so-system',
      'RoleBinding/so-schedule-operator-leader-election@so-system',
      'Secret/so-schedule-operator-webhook-tls@so-system',
      'Service/so-schedule-operator-metrics@so-system',
      'Service/so-schedule-operator-webhook@so-system',
      'ServiceAccount/so-schedule-operator@so-system',
      'ValidatingWebhookConfiguration/so-schedule-operator',
    ]);
    const crd = objs.find((o) => o.kind === 'CustomResourceDefinition');
    expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    const vwc = objs.find((o) => o.kind === 'ValidatingWebhookConfiguration');
    const secret = objs.find((o) => o.kind === 'Secret');
    expect(vwc.webhooks[0].clientConfig.caBundle).toBe(secret.data['ca.crt']);
    expect(vwc.webhooks[0]).toMatchObject({
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      sideEffects: 'None',
      rules: [{ apiGroups: ['schedule-operator.io'], resources: ['schedules'], operations: ['CREATE', 'UPDATE'] }],
    });
  });

  it('renders namespaced Roles (no cluster-wide workload access), cert-manager, ServiceMonitor and NetworkPolicy with non-default values', async () => {
    const objs = await render('so', 'so-system', NON_DEFAULT);
    const k = kinds(objs);
    expect(k).toContain('Role/so-schedule-operator@team-a');
    expect(k).toContain('Role/so-schedule-operator@team-b');
    expect(k).toContain('Certificate/so-schedule-operator-webhook@so-system');
    expect(k).toContain('Issuer/so-schedule-operator-selfsigned@so-system');
    expect(k).toContain('ServiceMonitor/so-schedule-operator@so-system');
    expect(k).toContain('NetworkPolicy/so-schedule-operator@so-system');
    expect(k).toContain('PrometheusRule/so-schedule-operator@so-system');
    expect(k).toContain('ConfigMap/so-schedule-operator-dashboard@so-system');
    const dashboard = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'so-schedule-operator-dashboard');
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['schedule-operator.json']).uid).toBe('schedule-operator');
    expect(objs.find((o) => o.kind === 'ServiceMonitor').spec.endpoints[0].honorLabels).toBe(true);
    expect(k).not.toContain('Secret/so-schedule-operator-webhook-tls@so-system');
    expect(k.filter((x) => x.startsWith('ClusterRole/'))).toEqual(['ClusterRole/so-schedule-operator-access-review']);
    const vwc = objs.find((o) => o.kind === 'ValidatingWebhookConfiguration');
    expect(vwc.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('so-system/so-schedule-operator-webhook');
    expect(vwc.webhooks[0].namespaceSelector.matchExpressions[0]).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['team-a', 'team-b'],
    });
    const args = objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].args;
    expect(args).toContain('--watch-namespaces=team-a,team-b');
    expect(args).toContain('--min-interval=5m');
    expect(rulesOf(objs).some((r) => r.resources.includes('secrets'))).toBe(false);
  });

  it('installs the ledger finalizer policy when the API server serves MutatingAdmissionPolicy (auto)', async () => {
    const without = await render('so', 'so-system');
    expect(kinds(without).filter((k) => k.startsWith('MutatingAdmissionPolicy'))).toEqual([]);
    const withApi = await render('so', 'so-system', ['--api-versions', 'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy']);
    expect(kinds(withApi).filter((k) => k.startsWith('MutatingAdmissionPolicy'))).toEqual([
      'MutatingAdmissionPolicy/so-schedule-operator-ledger-finalizer',
      'MutatingAdmissionPolicyBinding/so-schedule-operator-ledger-finalizer',
    ]);
  });

  it('grants explicit verbs only: no wildcards, no delete, Secrets get-only', async () => {
    const rules = rulesOf(await render('so', 'so-system'));
    for (const r of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) expect(r[field], `${r.owner} ${field}`).not.toContain('*');
      expect(r.verbs, r.owner).not.toContain('delete');
      expect(r.verbs, r.owner).not.toContain('deletecollection');
    }
    expect(rules.filter((r) => r.resources.includes('secrets')).map((r) => r.verbs)).toEqual([['get']]);
  });

  it('runs the operator under the restricted Pod Security Standard with probes and two replicas', async () => {
    const deploy = (await render('so', 'so-system')).find((o) => o.kind === 'Deployment');
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    expect(deploy.spec.replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests).toBeDefined();
    expect(c.args).toEqual(expect.arrayContaining(['--leader-elect=true', '--webhook-bind-address=:9443']));
  });

  it('renders the helm test hooks: a Pod in the operator image, its ServiceAccount and a Role limited to dry-run creates and the Lease', async () => {
    const objs = await render('so', 'so-system');
    const hooks = objs.filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(kinds(hooks)).toEqual([
      'Pod/so-schedule-operator-test@so-system',
      'Role/so-schedule-operator-test@so-system',
      'RoleBinding/so-schedule-operator-test@so-system',
      'ServiceAccount/so-schedule-operator-test@so-system',
    ]);
    const role = hooks.find((o) => o.kind === 'Role');
    expect(role.rules).toEqual([
      { apiGroups: ['schedule-operator.io'], resources: ['schedules'], verbs: ['create'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['schedule-operator-leader'], verbs: ['get'] },
    ]);
    const pod = hooks.find((o) => o.kind === 'Pod');
    expect(pod.spec.containers[0].image).toBe(`schedule-operator:${parse(readFileSync(`${CHART}/Chart.yaml`, 'utf8')).appVersion}`);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    // in namespaced mode the Schedules are dry-run in the first watched namespace; the Lease stays in the release's
    const namespaced = (
      await render('so', 'so-system', ['--set', 'watchNamespaces={team-a}', '--set', 'webhook.checkJobPermission=false'])
    ).filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(namespaced.find((o) => o.kind === 'Role' && o.metadata.namespace === 'team-a').rules).toEqual([
      { apiGroups: ['schedule-operator.io'], resources: ['schedules'], verbs: ['create'] },
    ]);
    expect(namespaced.find((o) => o.kind === 'Role' && o.metadata.namespace === 'so-system').rules[0].resources).toEqual(['leases']);
    expect(kinds(await render('so', 'so-system', ['--set', 'helmTest.enabled=false'])).filter((k) => k.includes('-test'))).toEqual([]);
  });

  it.each([
    [['--set', 'replicaCount=zero'], /replicaCount.*got string, want integer/],
    [['--set', 'webhook.failurePolicy=Sometimes'], /webhook\/failurePolicy.*must be one of 'Fail', 'Ignore'/],
    [['--set', 'watchNamespaces={Team_A}'], /watchNamespaces\/0.*does not match pattern/],
    [['--set', 'webhook.timeoutSeconds=60'], /webhook\/timeoutSeconds.*maximum/],
    [['--set', 'webhokk.enabled=false'], /additional properties 'webhokk' not allowed/],
    [['--set', 'image.digest=latest'], /image\/digest.*does not match pattern/],
    [['--set', 'webhook.certManager.enabled=maybe'], /webhook\/certManager\/enabled.*must be one of/],
    [['--set', 'operator.logLevel=verbose'], /operator\/logLevel.*must be one of/],
    // unknown keys are refused at every level the chart defines, naming the key and where it is
    [['--set', 'alerts.enabeld=true'], /at '\/alerts': additional properties 'enabeld' not allowed/],
    [['--set', 'dashboard.label.grafana_dashboard=1'], /at '\/dashboard': additional properties 'label' not allowed/],
    [['--set', 'helmTest.enable=false'], /at '\/helmTest': additional properties 'enable' not allowed/],
    [['--set', 'resources.limit.memory=1Gi'], /at '\/resources': additional properties 'limit' not allowed/],
    [
      ['--set', 'webhook.namespaceSelector.matchLabel.team=a'],
      /at '\/webhook\/namespaceSelector': additional properties 'matchLabel' not allowed/,
    ],
    [['--set', 'metrics.serviceMonitor.intervall=1m'], /at '\/metrics\/serviceMonitor': additional properties 'intervall' not allowed/],
    [['--set', 'alerts.missedRunsWindow=an hour'], /alerts\/missedRunsWindow.*does not match pattern/],
    [['--set', 'alerts.reconcileErrorRatio=2'], /alerts\/reconcileErrorRatio.*maximum/],
  ])('refuses bad values at install: %j', async (args, message) => {
    const r = await run('helm', ['template', 'so', CHART, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});

describe('helm install into the test cluster', () => {
  let kube: TestKube;
  let kubeconfig: string;
  const release = `chart-${Math.random().toString(36).slice(2, 7)}`;
  const namespace = release;
  // The webhook points at Pods that do not really run here (kwok), so it is scoped to this test's
  // namespace, and the cluster-wide ledger policy is left out: other tests sharing the cluster are
  // unaffected. The policy is checked by the namespaced-mode dry run below.
  const scoped = [
    '--set',
    `webhook.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=${namespace}`,
    '--set',
    'ledgerPolicy.enabled=false',
  ];

  beforeAll(() => {
    kubeconfig = clusterKubeconfig();
    kube = testKube(kubeconfig);
  });

  afterAll(async () => {
    await run('helm', ['uninstall', release, '--namespace', namespace, '--kubeconfig', kubeconfig]);
    await kube.remove(`/api/v1/namespaces/${namespace}`);
  });

  it('installs with default values; the API server accepts every object', async () => {
    // Other tests in this run apply the Schedule CRD too (server-side apply, their own field managers):
    // --take-ownership adopts it, --force-conflicts takes its fields, as an upgrade from a kubectl-applied CRD needs.
    const r = await run('helm', [
      'install',
      release,
      CHART,
      '--namespace',
      namespace,
      '--create-namespace',
      '--take-ownership',
      '--force-conflicts',
      '--kubeconfig',
      kubeconfig,
      ...scoped,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const objs = await render(release, namespace, [...scoped, '--skip-tests']);
    for (const o of objs) {
      const got = await kube.get(apiPath(o));
      expect(got?.metadata?.name, `${o.kind} ${o.metadata.name}`).toBe(o.metadata.name);
    }
  });

  it('reuses the webhook certificate on upgrade (no rotation, caBundle unchanged)', async () => {
    const before = await kube.get(`/api/v1/namespaces/${namespace}/secrets/${release}-schedule-operator-webhook-tls`);
    const r = await run('helm', [
      'upgrade',
      release,
      CHART,
      '--namespace',
      namespace,
      '--force-conflicts',
      '--kubeconfig',
      kubeconfig,
      ...scoped,
      '--set',
      'replicaCount=3',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const after = await kube.get(`/api/v1/namespaces/${namespace}/secrets/${release}-schedule-operator-webhook-tls`);
    expect(after.data['tls.crt']).toBe(before.data['tls.crt']);
    const vwc = await kube.get(`/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${release}-schedule-operator`);
    expect(vwc.webhooks[0].clientConfig.caBundle).toBe(before.data['ca.crt']);
    const deploy = await kube.get(`/apis/apps/v1/namespaces/${namespace}/deployments/${release}-schedule-operator`);
    expect(deploy.spec.replicas).toBe(3);
  });

  it('accepts the namespaced-mode objects too (server-side dry run)', async () => {
    const r = await run('helm', [
      'install',
      `${release}-ns`,
      CHART,
      '--namespace',
      namespace,
      '--dry-run=server',
      '--kubeconfig',
      kubeconfig,
      '--set',
      'crds.install=false',
      '--set',
      `watchNamespaces={${namespace}}`,
      '--set',
      'ledgerPolicy.enabled=true',
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'webhook.certManager.enabled=false',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('keeps the CRD on uninstall (helm.sh/resource-policy: keep) and removes the cluster-wide RBAC', async () => {
    const r = await run('helm', ['uninstall', release, '--namespace', namespace, '--kubeconfig', kubeconfig]);
    expect(r.code, r.stderr).toBe(0);
    expect(await kube.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/schedules.schedule-operator.io')).toBeDefined();
    await eventually(
      'the ClusterRole to be deleted',
      async () => !(await kube.get(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-schedule-operator`)),
      30_000,
    );
  });
});

const GROUPS: Record<string, string> = {
  ServiceAccount: '/api/v1',
  Secret: '/api/v1',
  Service: '/api/v1',
  Deployment: '/apis/apps/v1',
  PodDisruptionBudget: '/apis/policy/v1',
  Role: '/apis/rbac.authorization.k8s.io/v1',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1',
  ClusterRole: '/apis/rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: '/apis/rbac.authorization.k8s.io/v1',
  CustomResourceDefinition: '/apis/apiextensions.k8s.io/v1',
  ValidatingWebhookConfiguration: '/apis/admissionregistration.k8s.io/v1',
};

function apiPath(o: any): string {
  const base = GROUPS[o.kind];
  if (!base) throw new Error(`no API path known for ${o.kind}`);
  const plural = o.kind === 'PodDisruptionBudget' ? 'poddisruptionbudgets' : `${o.kind.toLowerCase()}s`;
  return o.metadata.namespace
    ? `${base}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`
    : `${base}/${plural}/${o.metadata.name}`;
}

describe('Pod Security', () => {
  it('the operator Pod is admitted by a namespace that enforces the restricted Pod Security Standard', async () => {
    const kube = testKube(clusterKubeconfig());
    const ns = `psa-${Math.random().toString(36).slice(2, 7)}`;
    await kube.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    });
    try {
      const deploy = (await render('so', ns)).find((o) => o.kind === 'Deployment');
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'operator', namespace: ns, labels: deploy.spec.template.metadata.labels },
        spec: { ...deploy.spec.template.spec, serviceAccountName: 'default' },
      };
      await kube.rest.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: pod, query: { dryRun: 'All' } });
      // and the check is real: the same Pod without runAsNonRoot is refused
      const loose = structuredClone(pod);
      delete loose.spec.securityContext.runAsNonRoot;
      delete loose.spec.securityContext.runAsUser;
      await expect(kube.rest.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: loose, query: { dryRun: 'All' } })).rejects.toThrow(
        /violates PodSecurity "restricted:latest".*runAsNonRoot/,
      );
    } finally {
      await kube.remove(`/api/v1/namespaces/${ns}`);
    }
  });
});
