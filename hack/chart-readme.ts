// Writes charts/schedule-operator/README.md from values.yaml: every `# -- key: description` comment
// becomes a row with the key's default. `make chart-readme`; test/unit/chart/readme.test.ts fails on drift,
// and on a value without a description.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const CHART = fileURLToPath(new URL('../charts/schedule-operator/', import.meta.url));

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

function lookup(values: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), values);
}

/** leafKeys lists the documented granularity: objects with children are walked, maps meant as values are not. */
function leafKeys(values: Record<string, unknown>, documented: Set<string>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const key = prefix + k;
    if (documented.has(key) || v === null || typeof v !== 'object' || Array.isArray(v)) return [key];
    return leafKeys(v as Record<string, unknown>, documented, `${key}.`);
  });
}

/** renderChartReadme returns the README text, or throws naming values without a `# --` description. */
export function renderChartReadme(valuesYaml: string, chartYaml: string): string {
  const values = parse(valuesYaml) as Record<string, unknown>;
  const chart = parse(chartYaml) as { name: string; version: string; appVersion: string; description: string };
  const rows: Row[] = [];
  for (const m of valuesYaml.matchAll(/^\s*# -- ([\w.]+): (.+)$/gm)) {
    const key = m[1]!;
    const value = lookup(values, key);
    if (value === undefined) throw new Error(`values.yaml documents "${key}", which is not a value`);
    const type = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value;
    rows.push({ key, type, default: JSON.stringify(value), description: m[2]! });
  }
  const documented = new Set(rows.map((r) => r.key));
  const missing = leafKeys(values, documented).filter((k) => !documented.has(k));
  if (missing.length) throw new Error(`values without a "# -- key: description" comment in values.yaml: ${missing.join(', ')}`);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return `<!-- Generated from values.yaml by \`make chart-readme\` (hack/chart-readme.ts). Do not edit. -->
# ${chart.name}

${chart.description}

Chart version ${chart.version}, operator version ${chart.appVersion}.

\`\`\`sh
helm upgrade --install schedule-operator charts/schedule-operator --namespace schedule-operator --create-namespace
\`\`\`

- **CRDs** are templates (\`crds.install\`), so \`helm upgrade\` upgrades them; \`crds.keep\` keeps them on
  \`helm uninstall\`. See [docs/install.md](../../docs/install.md).
- **Webhook TLS**: cert-manager when its API is present (\`webhook.certManager.enabled: auto\`), otherwise a
  CA and certificate generated at install and reused on upgrades.
- **RBAC**: explicit verbs, no wildcards; namespaced Roles when \`watchNamespaces\` is set.
- **Argo CD**: see [docs/argocd.md](../../docs/argocd.md).
- **Alerts and dashboard** (off by default): \`alerts.enabled\` creates a PrometheusRule whose alerts link
  [docs/runbooks.md](../../docs/runbooks.md); \`dashboard.enabled\` a Grafana dashboard ConfigMap for the sidecar.
- **\`helm test\`**: checks /readyz through the Service, the leader Lease, and that the webhook admits a valid
  Schedule and refuses an invalid one (dry runs). See [docs/install.md](../../docs/install.md#helm-test).

## Values

| Key | Type | Default | Description |
|-----|------|---------|-------------|
${rows.map((r) => `| \`${r.key}\` | ${r.type} | \`${cell(r.default)}\` | ${cell(r.description)} |`).join('\n')}
`;
}

export function chartReadmeFromDisk(): string {
  return renderChartReadme(readFileSync(`${CHART}values.yaml`, 'utf8'), readFileSync(`${CHART}Chart.yaml`, 'utf8'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(`${CHART}README.md`, chartReadmeFromDisk());
  console.log('wrote charts/schedule-operator/README.md');
}
