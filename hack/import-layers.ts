// The import layers of src/, as data, and the checks that keep them true (test/unit/architecture.test.ts
// runs them; `npx tsx hack/import-layers.ts [root]` prints what it finds, e.g. for an older checkout).
//
// A file may import its own group and any group of a LOWER layer; a sibling group in the same layer or
// anything above is a violation. Every file under src/ must belong to a group. No import cycles (type-only
// imports count: a cycle of types is still two modules that cannot be read apart).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** LAYERS: bottom first. Each layer maps group names to the paths (a file, or a folder ending in /) they hold. */
export const LAYERS: ReadonlyArray<Readonly<Record<string, readonly string[]>>> = [
  // shared shapes and the one clock: everything may use them, they use nothing of ours
  { base: ['src/clock.ts', 'src/node-http.ts', 'src/types/'] },
  // the user contract: Schedule schemas, conditions, CRD generation; the error catalogue (pure data)
  { api: ['src/api/', 'src/errors.ts'] },
  // the pure domain: validate, cron, next runs, desired CronJob, status, ledger rules
  { schedule: ['src/schedule/'] },
  // the only code that talks to the API server: REST, kubeconfig, watch, informer, lease, client
  { kube: ['src/kube/'] },
  // settings and instruments the services are built with
  { config: ['src/config.ts'], metrics: ['src/metrics.ts', 'src/metrics-runs.ts', 'src/metrics-series.ts'] },
  // services beside the controller: callbacks, admission webhook, HTTP endpoints
  { notify: ['src/notify/'], webhook: ['src/webhook/'], server: ['src/server/'] },
  // the reconciler, its queue and the Manager (it delivers callbacks through notify)
  { controller: ['src/controller/'] },
  // wiring of the operator process
  { main: ['src/main.ts'] },
  // the command line, which starts main lazily
  { cli: ['src/cli.ts', 'src/cli/'] },
];

/** Modules src/ must not import at all (why: docs/architecture.md). */
export const FORBIDDEN_PACKAGES = ['@kubernetes/client-node', 'cron-parser'];

export interface Module {
  /** path relative to the root, with forward slashes: src/kube/rest.ts */
  path: string;
  imports: Array<{ specifier: string; target: string | undefined; line: number }>;
  text: string;
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** readModules reads every .ts file under root/src with its import specifiers (static, dynamic, re-exports). */
export function readModules(root: string): Module[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk('src');
  return files.sort().map((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    const imports: Module['imports'] = [];
    for (const m of text.matchAll(IMPORT_RE)) {
      const specifier = m[1]!;
      const line = text.slice(0, m.index).split('\n').length;
      if (isComment(text, m.index!)) continue;
      let target: string | undefined;
      if (specifier.startsWith('.')) {
        const resolved = normalize(join(dirname(path), specifier))
          .replace(/\\/g, '/')
          .replace(/\.js$/, '.ts');
        target = resolved;
      }
      imports.push({ specifier, target, line });
    }
    return { path, imports, text };
  });
}

function isComment(text: string, index: number): boolean {
  const lineStart = text.lastIndexOf('\n', index) + 1;
  const before = text.slice(lineStart, index).trim();
  return before.startsWith('//') || before.startsWith('*');
}

/** groupOf names the layer and group that hold a path (undefined: the file has no place in the layers). */
export function groupOf(path: string, layers = LAYERS): { layer: number; group: string } | undefined {
  for (let layer = 0; layer < layers.length; layer++) {
    for (const [group, paths] of Object.entries(layers[layer]!)) {
      if (paths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))) return { layer, group };
    }
  }
  return undefined;
}

/** layerViolations lists every import that points sideways or up, every file without a group and every forbidden package. */
export function layerViolations(modules: Module[], layers = LAYERS): string[] {
  const out: string[] = [];
  for (const m of modules) {
    const from = groupOf(m.path, layers);
    if (!from) {
      out.push(`${m.path}: belongs to no layer (add it to LAYERS in hack/import-layers.ts)`);
      continue;
    }
    for (const imp of m.imports) {
      if (FORBIDDEN_PACKAGES.includes(imp.specifier) || FORBIDDEN_PACKAGES.some((p) => imp.specifier.startsWith(`${p}/`))) {
        out.push(`${m.path}:${imp.line}: imports ${imp.specifier}, which src/ must not load`);
        continue;
      }
      if (!imp.target?.startsWith('src/')) continue;
      const to = groupOf(imp.target, layers);
      if (!to) continue; // reported as a file without a group
      if (to.group === from.group) continue;
      if (to.layer < from.layer) continue;
      const how = to.layer === from.layer ? 'a sibling in the same layer' : 'a higher layer';
      out.push(`${m.path}:${imp.line}: ${from.group} imports ${to.group} (${imp.target}), ${how}`);
    }
  }
  return out;
}

/** importCycles lists each strongly connected set of modules (Tarjan), as "a -> b -> a". */
export function importCycles(modules: Module[]): string[] {
  const edges = new Map<string, string[]>();
  for (const m of modules)
    edges.set(m.path, [...new Set(m.imports.map((i) => i.target).filter((t): t is string => !!t && t.startsWith('src/')))]);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      const selfLoop = scc.length === 1 && (edges.get(v) ?? []).includes(v);
      if (scc.length > 1 || selfLoop) cycles.push([...scc.sort(), scc[0]].join(' -> '));
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return cycles;
}

const API_CALL_RE = /\.request\s*(?:<[^>]*>)?\s*\(\s*['"](?:GET|POST|PUT|PATCH|DELETE)['"]/g;

/** apiCallsOutsideKube lists REST calls made outside src/kube (only src/kube talks to the API server). */
export function apiCallsOutsideKube(modules: Module[]): string[] {
  const out: string[] = [];
  for (const m of modules) {
    if (m.path.startsWith('src/kube/')) continue;
    for (const call of m.text.matchAll(API_CALL_RE)) {
      out.push(
        `${m.path}:${m.text.slice(0, call.index).split('\n').length}: calls the API server (${call[0].replace(/\s+/g, ' ')}...); move it behind a function in src/kube`,
      );
    }
  }
  return out;
}

/** ESM_HTTP_RE: a value import of node:http (`import type` is erased and loads nothing). */
const ESM_HTTP_RE = /^import\s+(?!type\b)[^'";]*?\bfrom\s*['"](?:node:)?http['"]/gm;

/** esmHttpImports lists ES imports of node:http outside src/node-http.ts, which says why they cost 13 MB. */
export function esmHttpImports(modules: Module[]): string[] {
  const out: string[] = [];
  for (const m of modules) {
    if (m.path === 'src/node-http.ts') continue;
    for (const imp of m.text.matchAll(ESM_HTTP_RE)) {
      out.push(
        `${m.path}:${m.text.slice(0, imp.index).split('\n').length}: imports node:http as an ES module; use { http } from src/node-http.ts`,
      );
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const modules = readModules(root);
  const report = {
    layers: layerViolations(modules),
    cycles: importCycles(modules),
    apiCalls: apiCallsOutsideKube(modules),
    esmHttp: esmHttpImports(modules),
  };
  for (const [kind, lines] of Object.entries(report)) {
    console.log(`${kind}: ${lines.length}`);
    for (const l of lines) console.log(`  ${l}`);
  }
  console.log(`root: ${relative(process.cwd(), root) || '.'}`);
  process.exitCode = Object.values(report).some((l) => l.length) ? 1 : 0;
}
