// The test control plane is a real API server: it accepts CRDs with CEL rules (x-kubernetes-validations), compiles
// them, and enforces them on every write - what the Schedule CRD relies on.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { clusterKubeconfig, createNamespace } from '../support/env.js';
import { eventually, testKube, type TestKube } from '../support/kube.js';
import { ApiError } from '../../src/kube/rest.js';

const group = `cel-${randomBytes(3).toString('hex')}.cluster-test.schedule-operator.io`;
const crdName = `windows.${group}`;
const crdPath = (name = '') => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions${name ? `/${name}` : ''}`;

let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };

function crd(name: string, grp: string, rule: string) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: grp,
      scope: 'Namespaced',
      names: { plural: name.split('.')[0], singular: 'window', kind: 'Window', listKind: 'WindowList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { from: { type: 'integer' }, to: { type: 'integer' } },
                  'x-kubernetes-validations': [{ rule, message: 'spec.from must not be after spec.to' }],
                },
              },
            },
          },
        },
      ],
    },
  };
}

const windowPath = (name = '') => `/apis/${group}/v1/namespaces/${ns.name}/windows${name ? `/${name}` : ''}`;
const window = (name: string, from: number, to: number) => ({
  apiVersion: `${group}/v1`,
  kind: 'Window',
  metadata: { name },
  spec: { from, to },
});

async function rejection(work: Promise<unknown>): Promise<ApiError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the API server should have rejected the request').toBeInstanceOf(ApiError);
  return err as ApiError;
}

beforeAll(async () => {
  kube = testKube(clusterKubeconfig());
  ns = await createNamespace(kube, 'cluster-cel');
});

afterAll(async () => {
  // A plain DELETE: the apiextensions API refuses kube.remove's DeleteOptions body (no apiVersion/kind) with 400.
  await kube?.rest.request('DELETE', crdPath(crdName)).catch(() => undefined);
  await ns?.remove();
});

test('a CRD with a CEL rule is accepted and becomes Established', async () => {
  await kube.create(crdPath(), crd(crdName, group, 'self.from <= self.to'));
  await eventually(
    `CRD ${crdName} to be Established`,
    async () => {
      const got = await kube.get(crdPath(crdName));
      return got?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
    },
    30_000,
  );
});

test('the API server enforces the CEL rule: a violating object is refused with its message, a valid one is stored', async () => {
  // Discovery of a new CRD can lag its Established condition by a moment.
  await eventually('the Window resource to be served', async () => (await kube.get(windowPath())) !== undefined, 30_000);
  const err = await rejection(kube.create(windowPath(), window('backwards', 5, 1)));
  expect(err.statusCode).toBe(422);
  expect(err.message).toContain('spec.from must not be after spec.to');
  const stored = await kube.create<any>(windowPath(), window('forwards', 1, 5));
  expect(stored.spec).toEqual({ from: 1, to: 5 });
});

test('a CEL rule that does not compile is refused when the CRD is created', async () => {
  const badGroup = `bad-${group}`;
  const err = await rejection(kube.create(crdPath(), crd(`windows.${badGroup}`, badGroup, 'self.from <= self.nosuchfield')));
  expect(err.statusCode).toBe(422);
  expect(err.message).toMatch(/compilation failed|undefined field/i);
});
