// Metric names in PromQL, for checking that alerts and the dashboard only name metrics the operator exposes.
// A small scanner, not a parser: it drops strings, label matchers, ranges, grouping clauses and Grafana
// variables, then keeps identifiers that are not functions or keywords.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/** metricNames lists the metric names an expression selects. */
export function metricNames(expr: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(expr);
  if (labelValues) return [labelValues[1]!];
  if (/^\s*label_values\(\s*[a-zA-Z_]\w*\s*\)\s*$/.test(expr)) return []; // label_values(label): no metric
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    const name = m[1]!;
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names].sort();
}

/** exposedNames lists the metric families and sample names in Prometheus text exposition. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) names.add(type[1]!);
    else if (line && !line.startsWith('#')) names.add(/^[a-zA-Z_:][\w:]*/.exec(line)![0]);
  }
  return names;
}

/** dashboardQueries lists every PromQL expression of a Grafana dashboard: panel targets and variable queries. */
export function dashboardQueries(dashboard: any): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const panels = (list: any[]): void => {
    for (const p of list ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
      panels(p.panels);
    }
  };
  panels(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type === 'query' && q) out.push({ where: `variable $${v.name}`, expr: q });
  }
  return out;
}
