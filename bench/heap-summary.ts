// Summarises a V8 heap snapshot (.heapsnapshot, from --heapsnapshot-signal or v8.writeHeapSnapshot) the way
// DevTools' Summary view does: self size and count per constructor (objects) or per kind (strings, arrays,
// compiled code, system objects).
//
//   npx tsx bench/heap-summary.ts FILE [--top 20]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalMiB: number;
  nodes: number;
  top: Array<{ what: string; MiB: number; count: number }>;
}

/** group names what a heap node counts as. */
function group(type: string, name: string): string {
  switch (type) {
    case 'object':
      return name.startsWith('system /') ? `(system) ${name.slice(9)}` : name;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'closure':
      return '(closure)';
    case 'code':
      return '(compiled code)';
    case 'array':
      return `(array) ${name}`;
    case 'hidden':
      return `(system) ${name.replace(/ \/ .*$/, '')}`;
    default:
      return `(${type})`;
  }
}

export function summariseHeapSnapshot(file: string, top = 20): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const by = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const size = snap.nodes[i + iSize]!;
    const key = group(types[snap.nodes[i + iType]!]!, snap.strings[snap.nodes[i + iName]!]!);
    const e = by.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    by.set(key, e);
    total += size;
  }
  const mib = (b: number) => Number((b / 2 ** 20).toFixed(2));
  return {
    totalMiB: mib(total),
    nodes: snap.nodes.length / width,
    top: [...by.entries()]
      .sort((a, b) => b[1].size - a[1].size)
      .slice(0, top)
      .map(([what, e]) => ({ what, MiB: mib(e.size), count: e.count })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--top');
  const s = summariseHeapSnapshot(process.argv[2]!, i > 0 ? Number(process.argv[i + 1]) : 20);
  console.log(`heap ${s.totalMiB} MiB in ${s.nodes} nodes`);
  for (const t of s.top) console.log(`${t.MiB.toFixed(2).padStart(9)} MiB ${String(t.count).padStart(9)}  ${t.what}`);
}
