// Imports point one way. The layer order is data in hack/import-layers.ts (bottom first):
//   base (clock, types) -> api (+ errors) -> schedule -> kube -> config | metrics -> notify | webhook | server
//   -> controller -> main -> cli
// A file may import its own group and lower layers only; no cycles; only src/kube calls the API server;
// src/ never loads @kubernetes/client-node or cron-parser. docs/architecture.md says why.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apiCallsOutsideKube,
  esmHttpImports,
  groupOf,
  importCycles,
  LAYERS,
  layerViolations,
  readModules,
} from '../../hack/import-layers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const modules = readModules(root);

describe('the import layers of src/', () => {
  it('has every import pointing down (or within its own group)', () => {
    expect(layerViolations(modules)).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(importCycles(modules)).toEqual([]);
  });

  it('calls the API server only from src/kube', () => {
    expect(apiCallsOutsideKube(modules)).toEqual([]);
  });

  it('loads node:http only through src/node-http.ts (an ES import of it loads undici: 13 MB)', () => {
    expect(esmHttpImports(modules)).toEqual([]);
  });

  it('puts the clock and the shared types at the bottom and the command line at the top', () => {
    expect(groupOf('src/clock.ts')).toEqual({ layer: 0, group: 'base' });
    expect(groupOf('src/types/kube.ts')).toEqual({ layer: 0, group: 'base' });
    expect(groupOf('src/cli/run.ts')).toEqual({ layer: LAYERS.length - 1, group: 'cli' });
    expect(modules.length).toBeGreaterThan(40); // it read the real tree
  });
});

describe('the checks themselves (on a small made-up tree)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'so-layers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), text);
  };
  file('src/clock.ts', "import type { Io } from './types/io.js';\n");
  file('src/types/io.ts', "import type { Timer } from '../clock.js';\n");
  file('src/schedule/a.ts', "import { x } from '../kube/rest.js';\n// import { y } from '../controller/queue.js';\n");
  file('src/kube/rest.ts', "import { KubeConfig } from '@kubernetes/client-node';\nexport const x = 1;\n");
  file('src/notify/n.ts', "export async function f(rest) { return rest.request('GET', '/api'); }\nimport('../webhook/w.js');\n");
  file('src/webhook/w.ts', "import type { Server } from 'node:http';\nimport https from 'node:https';\nimport http from 'node:http';\n");
  file('src/stray.ts', '');
  const fake = readModules(tmp);

  it('reports an upward import, a sibling import, a forbidden package and a file without a layer, but not a comment', () => {
    expect(layerViolations(fake)).toEqual([
      'src/kube/rest.ts:1: imports @kubernetes/client-node, which src/ must not load',
      'src/notify/n.ts:2: notify imports webhook (src/webhook/w.ts), a sibling in the same layer',
      'src/schedule/a.ts:1: schedule imports kube (src/kube/rest.ts), a higher layer',
      'src/stray.ts: belongs to no layer (add it to LAYERS in hack/import-layers.ts)',
    ]);
  });

  it('reports a cycle, even of type-only imports', () => {
    expect(importCycles(fake)).toEqual(['src/clock.ts -> src/types/io.ts -> src/clock.ts']);
  });

  it('reports an ES import of node:http, not a type-only one', () => {
    expect(esmHttpImports(fake)).toEqual(['src/webhook/w.ts:3: imports node:http as an ES module; use { http } from src/node-http.ts']);
  });

  it('reports a REST call outside src/kube', () => {
    expect(apiCallsOutsideKube(fake)).toEqual([
      "src/notify/n.ts:1: calls the API server (.request('GET'...); move it behind a function in src/kube",
    ]);
  });
});
