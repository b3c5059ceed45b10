// Summarises a V8 CPU profile (.cpuprofile, from node --cpu-prof) over a time window: where the process spent
// the samples that were not idle, by function (self time) and by module.
//
//   npx tsx bench/cpu-summary.ts FILE [--top 20]      (whole profile)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuSummary {
  windowSeconds: number;
  samples: number;
  busySamples: number;
  busyMs: number;
  byFunction: Array<{ what: string; ms: number }>;
  byModule: Array<{ what: string; ms: number }>;
}

function moduleOf(url: string): string {
  if (!url) return '(native)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1]!;
  const d = url.match(/\/(dist|src)\/(.*)$/);
  if (d) return `${d[1]}/${d[2]}`;
  return url.startsWith('node:') ? url : url.replace(/^.*\//, '');
}

/**
 * summariseCpuProfile keeps the samples between from and to (process.hrtime.bigint() values: V8's profile
 * clock is the same monotonic clock, in microseconds); without them the whole profile.
 */
export function summariseCpuProfile(file: string, from?: bigint, to?: bigint, top = 20): CpuSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const lo = from === undefined ? -Infinity : Number(from / 1000n);
  const hi = to === undefined ? Infinity : Number(to / 1000n);
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  let t = p.startTime;
  let samples = 0;
  let busy = 0;
  let busyUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < lo || t > hi) continue;
    samples++;
    const node = byId.get(p.samples[i]!)!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    busy++;
    const interval = p.timeDeltas[i + 1] ?? dt; // the time this sample stands for
    busyUs += interval;
    const where = node.callFrame.url ? `${name} ${moduleOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : name;
    fn.set(where, (fn.get(where) ?? 0) + interval);
    const m = node.callFrame.url ? moduleOf(node.callFrame.url) : name;
    mod.set(m, (mod.get(m) ?? 0) + interval);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, us]) => ({ what, ms: Number((us / 1000).toFixed(1)) }));
  return {
    windowSeconds: Number(((Math.min(hi, p.endTime) - Math.max(lo, p.startTime)) / 1e6).toFixed(1)),
    samples,
    busySamples: busy,
    busyMs: Number((busyUs / 1000).toFixed(1)),
    byFunction: rank(fn),
    byModule: rank(mod),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--top');
  console.log(
    JSON.stringify(summariseCpuProfile(process.argv[2]!, undefined, undefined, i > 0 ? Number(process.argv[i + 1]) : 20), null, 2),
  );
}
