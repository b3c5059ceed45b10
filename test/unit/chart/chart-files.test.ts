// The chart's generated files stay in step with their sources.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../src/api/crd-file.js';
import { chartReadmeFromDisk, renderChartReadme } from '../../../hack/chart-readme.js';
import { LEDGER_POLICY_FILE, renderLedgerPolicy } from '../../../hack/chart-ledger-policy.js';

const CHART = 'charts/schedule-operator';

describe('chart files', () => {
  it('ships the CRD exactly as crds/ holds it (regenerate with `make crds`; test/unit/api checks crds/ against the zod schemas)', () => {
    const chartCopy = readFileSync(`${CHART}/files/${CRD_FILE}`, 'utf8');
    expect(chartCopy).toBe(readFileSync(CRD_FILE, 'utf8'));
  });

  it('ships the ledger finalizer policy exactly as src/schedule/ledger-policy.ts builds it (regenerate with `make crds`)', () => {
    expect(readFileSync(LEDGER_POLICY_FILE, 'utf8')).toBe(renderLedgerPolicy());
  });

  it('has a README generated from values.yaml (regenerate with `make chart-readme`)', () => {
    expect(readFileSync(`${CHART}/README.md`, 'utf8')).toBe(chartReadmeFromDisk());
  });

  it('refuses to generate a README when a value has no description', () => {
    const chart = readFileSync(`${CHART}/Chart.yaml`, 'utf8');
    expect(() => renderChartReadme('# -- a: documented\na: 1\nb: 2\n', chart)).toThrow(
      /values without a "# -- key: description" comment in values.yaml: b/,
    );
    expect(() => renderChartReadme('# -- c: documents a value that does not exist\na: 1\n', chart)).toThrow(
      /documents "c", which is not a value/,
    );
  });

  it('has a values.schema.json entry for every value in values.yaml', () => {
    const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8'));
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8'));
    const missing: string[] = [];
    const walk = (v: Record<string, unknown>, s: { properties?: Record<string, any> }, prefix: string) => {
      for (const [k, child] of Object.entries(v)) {
        const sub = s.properties?.[k];
        if (!sub) missing.push(prefix + k);
        else if (child && typeof child === 'object' && !Array.isArray(child) && sub.properties)
          walk(child as Record<string, unknown>, sub, `${prefix}${k}.`);
      }
    };
    walk(values, schema, '');
    expect(missing).toEqual([]);
  });
});
