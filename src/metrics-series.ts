// Metric families with a series per Schedule, which a fleet has by the ten thousand, written as Prometheus text
// here rather than by prom-client. prom-client keeps each series in a hash keyed by a label string it rebuilds on
// every update, and formats every sample through generic label merging: with 10,000 Schedules (90,000 series) one
// scrape blocked the event loop for about 290 ms (bench/scrape.ts). A family here keeps its stored series in one
// Map keyed by the label values, or reads them from the cache at scrape time, and writes its lines directly.
// GET /metrics serves the registry's text followed by this text (Metrics.text in src/metrics.ts).
//
// The text is the Prometheus exposition format 0.0.4: `# HELP`, `# TYPE`, then `name{label="value",...} value`;
// label values escape backslash, double quote and newline, HELP escapes backslash and newline.

/** Sample is one series of a family: its labels by name, and its value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: readonly string[];
  /** each hands every series to `emit`: its label values (in labelNames' order) and its value. */
  each(emit: (values: readonly string[], value: number) => void): void;
}

/** StoredFamily is a counter or gauge whose series are set or added to as things happen. */
export interface StoredFamily {
  /** inc adds `by` (default 1) to the series with these label values, creating it at 0 first. */
  inc(values: readonly string[], by?: number): void;
  set(values: readonly string[], value: number): void;
  remove(values: readonly string[]): void;
}

const escapeLabel = (v: string) => (/[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const formatValue = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf');

/** SeriesTable holds the families and writes their text. */
export class SeriesTable {
  private readonly families = new Map<string, Family>();

  /** stored registers a family whose series the caller sets (a second call with the same name returns the first). */
  stored(name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[]): StoredFamily {
    const existing = this.families.get(name) as (Family & StoredFamily) | undefined;
    if (existing) return existing;
    const series = new Map<string, { values: readonly string[]; value: number }>();
    const key = (values: readonly string[]) => values.join('\u0000');
    const family: Family & StoredFamily = {
      name,
      help,
      type,
      labelNames,
      each(emit) {
        for (const s of series.values()) emit(s.values, s.value);
      },
      inc(values, by = 1) {
        const k = key(values);
        const s = series.get(k);
        if (s) s.value += by;
        else series.set(k, { values: [...values], value: by });
      },
      set(values, value) {
        series.set(key(values), { values: [...values], value });
      },
      remove(values) {
        series.delete(key(values));
      },
    };
    this.families.set(name, family);
    return family;
  }

  /** read registers a gauge whose series are read at scrape time (from the cache), through `each` (a second call with the same name replaces the first). */
  read(name: string, help: string, labelNames: readonly string[], each: Family['each']): void {
    this.families.set(name, { name, help, type: 'gauge', labelNames, each });
  }

  /** samples lists a family's series (for tests and readers of single values); [] for a family not registered. */
  samples(name: string): Sample[] {
    const family = this.families.get(name);
    const out: Sample[] = [];
    family?.each((values, value) => out.push({ labels: Object.fromEntries(family.labelNames.map((n, i) => [n, values[i] ?? ''])), value }));
    return out;
  }

  /** has says whether a family of this name is registered. */
  has(name: string): boolean {
    return this.families.has(name);
  }

  /** text is the exposition of every family, each after its HELP and TYPE lines. */
  text(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      const names = f.labelNames;
      f.each((values, value) => {
        let labels = '';
        for (let i = 0; i < names.length; i++) labels += `${i ? ',' : ''}${names[i]}="${escapeLabel(values[i] ?? '')}"`;
        lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(value)}`);
      });
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}
