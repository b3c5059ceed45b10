// Artifact Hub metadata (Chart.yaml annotations), the strict values schema and the dashboard, checked against
// the chart and the project without helm: each annotation parses, names what the chart really ships, and
// the example Schedule is one the operator accepts.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../src/api/crd-file.js';
import { validateSpec } from '../../../src/schedule/validate.js';

const CHART = 'charts/schedule-operator';
const chart = parse(readFileSync(`${CHART}/Chart.yaml`, 'utf8'));
const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8'));
const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8'));
const annotation = (key: string) => parse(chart.annotations[`artifacthub.io/${key}`]);

describe('Artifact Hub metadata in Chart.yaml', () => {
  it('has every annotation Artifact Hub reads for an operator chart', () => {
    for (const key of ['crds', 'crdsExamples', 'images', 'license', 'links', 'operator', 'operatorCapabilities', 'changes']) {
      expect(chart.annotations, key).toHaveProperty(`artifacthub.io/${key}`);
    }
    expect(chart.annotations['artifacthub.io/operator']).toBe('true');
    expect(['Basic Install', 'Seamless Upgrades', 'Full Lifecycle', 'Deep Insights', 'Auto Pilot']).toContain(
      chart.annotations['artifacthub.io/operatorCapabilities'],
    );
  });

  it('names the license of package.json', () => {
    expect(chart.annotations['artifacthub.io/license']).toBe(JSON.parse(readFileSync('package.json', 'utf8')).license);
  });

  it('lists the CRD the chart ships', () => {
    const crd = parse(readFileSync(CRD_FILE, 'utf8'));
    const version = crd.spec.versions.find((v: any) => v.storage).name;
    expect(annotation('crds')).toEqual([
      expect.objectContaining({
        kind: crd.spec.names.kind,
        version,
        name: crd.metadata.name,
        displayName: expect.any(String),
        description: expect.any(String),
      }),
    ]);
  });

  it('gives a CRD example that is examples/nightly-report.yaml and that the operator accepts', () => {
    const [example] = annotation('crdsExamples');
    expect(example).toEqual(parse(readFileSync('examples/nightly-report.yaml', 'utf8')));
    expect(validateSpec(example.spec).ok).toBe(true);
  });

  it('lists the image the chart runs by default (image.repository at appVersion)', () => {
    expect(annotation('images')).toEqual([{ name: 'schedule-operator', image: `${values.image.repository}:${chart.appVersion}` }]);
  });

  it('has links with names and absolute URLs, and changes with Artifact Hub kinds', () => {
    for (const l of annotation('links')) {
      expect(l.name).toBeTruthy();
      expect(l.url).toMatch(/^https:\/\//);
    }
    for (const c of annotation('changes')) {
      expect(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']).toContain(c.kind);
      expect(c.description).toBeTruthy();
    }
  });
});

/** Objects whose fields belong to Kubernetes types (passed through as they are), not to the chart. */
const PASSTHROUGH = new Set([
  'global',
  'operator.extraEnv[]',
  'podSecurityContext',
  'securityContext',
  'affinity',
  'tolerations[]',
  'topologySpreadConstraints[]',
  'networkPolicy.metricsFrom[]',
  'networkPolicy.webhookFrom[]',
  'resources.claims[]',
  'resources.requests',
  'resources.limits',
  'crds.annotations',
  'serviceAccount.annotations',
  'podAnnotations',
  'podLabels',
  'nodeSelector',
  'metrics.serviceMonitor.labels',
  'alerts.labels',
  'alerts.ruleLabels',
  'dashboard.labels',
  'dashboard.annotations',
  'webhook.namespaceSelector.matchLabels',
  'webhook.objectSelector.matchLabels',
]);

describe('values.schema.json', () => {
  it('refuses unknown keys at every level the chart defines (additionalProperties: false)', () => {
    const open: string[] = [];
    const walk = (s: any, path: string) => {
      if (s.$ref)
        s = s.$ref
          .split('/')
          .slice(1)
          .reduce((o: any, k: string) => o[k], schema);
      if (s.type === 'object' || s.properties) {
        if (s.additionalProperties !== false && !PASSTHROUGH.has(path)) open.push(path || '(root)');
        for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, path ? `${path}.${k}` : k);
      }
      if (s.items) walk(s.items, `${path}[]`);
    };
    walk(schema, '');
    expect(open).toEqual([]);
  });
});

describe('the Grafana dashboard (files/dashboards/schedule-operator.json)', () => {
  const dashboard = JSON.parse(readFileSync(`${CHART}/files/dashboards/schedule-operator.json`, 'utf8'));
  const panels: any[] = dashboard.panels;

  it('has a fleet view and a one-Schedule view chosen by namespace and schedule variables', () => {
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Fleet', 'Operator', 'Schedule $namespace/$schedule']);
    expect(dashboard.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'job', 'namespace', 'schedule']);
    const oneSchedule = panels.slice(panels.findIndex((p) => p.title.startsWith('Schedule $')) + 1);
    expect(oneSchedule.length).toBeGreaterThan(4);
    for (const p of oneSchedule) for (const t of p.targets) expect(t.expr, p.title).toContain('schedule="$schedule"');
  });

  it('has unique panel ids, a data source variable on every query, and panels inside the 24-column grid', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((q) => q.type !== 'row')) {
      expect(p.datasource.uid, p.title).toBe('${datasource}');
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (const t of p.targets) expect(t.expr, p.title).toMatch(/job=~"\$job"/);
    }
  });
});
