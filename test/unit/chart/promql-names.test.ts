import { describe, expect, it } from 'vitest';
import { exposedNames, metricNames } from '../../support/promql-names.js';

describe('metricNames (PromQL scanner for the alert and dashboard metric check)', () => {
  it.each([
    ['max by (namespace, schedule) (schedule_operator_consecutive_failures{job="x"}) >= 3', ['schedule_operator_consecutive_failures']],
    [
      'sum by (namespace, schedule) (increase(schedule_operator_slots_total{job="x", outcome="Missed"}[1h])) > 0',
      ['schedule_operator_slots_total'],
    ],
    [
      '(max(leader_election_master_status{job="x"}) == 0) or absent(leader_election_master_status{job="x"})',
      ['leader_election_master_status'],
    ],
    ['sum(rate(a_total{code!~"2.."}[5m])) / sum(rate(b_total[5m])) > 0.05', ['a_total', 'b_total']],
    ['(max by (namespace, schedule) (r{j="x"}) == 0) or on () (sum(s{state="invalid"}) > 0 unless on () count(r))', ['r', 's']],
    ['histogram_quantile(0.99, sum by (le) (rate(t_bucket{job=~"$job"}[$__rate_interval])))', ['t_bucket']],
    ['max(n{job=~"$job", namespace="$namespace"}) * 1000', ['n']],
    ['label_values(m{job=~"$job"}, namespace)', ['m']],
    ['topk(20, max by (namespace, schedule) (c) > 0)', ['c']],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  it('exposedNames reads families and samples', () => {
    const names = exposedNames('# HELP a x\n# TYPE a histogram\na_bucket{le="1"} 0\na_sum 0\na_count 0\nb 1\n');
    expect([...names].sort()).toEqual(['a', 'a_bucket', 'a_count', 'a_sum', 'b']);
  });
});
