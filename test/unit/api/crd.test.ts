import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_FILE, renderCrdYaml } from '../../../src/api/crd-file.js';
import { scheduleCrd } from '../../../src/api/crd.js';

function walk(node: any, path: string, visit: (node: any, path: string) => void): void {
  visit(node, path);
  for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${path}.${k}`, visit);
  if (node.items) walk(node.items, `${path}[]`, visit);
}

describe('the Schedule CRD', () => {
  it('in crds/ matches the zod schemas (run `make crds` after changing src/api)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderCrdYaml());
  });

  it('is structural: every schema node has a type and no additionalProperties:false', () => {
    const schema = (scheduleCrd() as any).spec.versions[0].schema.openAPIV3Schema;
    walk(schema, 'root', (node, path) => {
      expect(node.type, `${path} has no type`).toBeTypeOf('string');
      expect(node.additionalProperties, `${path}`).not.toBe(false);
    });
  });

  it('documents every spec field with a description that starts with its name', () => {
    const spec = parse(readFileSync(CRD_FILE, 'utf8')).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    for (const [name, field] of Object.entries<any>(spec.properties)) {
      expect(field.description, `spec.${name}`).toMatch(new RegExp(`^${name}: `));
    }
  });

  it('has the fixed names, the status subresource, the short name and the 52-character name rule', () => {
    const crd = scheduleCrd() as any;
    expect(crd.metadata.name).toBe('schedules.schedule-operator.io');
    expect(crd.spec.names).toMatchObject({ kind: 'Schedule', plural: 'schedules', shortNames: ['sched'] });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', subresources: { status: {} } });
    expect(crd.spec.versions[0].schema.openAPIV3Schema['x-kubernetes-validations'][0].rule).toBe('size(self.metadata.name) <= 52');
    expect(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'][0].message).toContain('exactly one of');
  });
});
