import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../src/api/schedule.js';
import { scheduleChanged } from '../../../src/controller/events.js';
import { describeListError } from '../../../src/controller/manager.js';
import { ApiError } from '../../../src/kube/rest.js';

const s = (meta: Partial<Schedule['metadata']>, status?: Schedule['status']): Schedule => ({
  apiVersion: 'schedule-operator.io/v1alpha1',
  kind: 'Schedule',
  metadata: { name: 'n', namespace: 'ns', uid: 'u', generation: 1, resourceVersion: '1', ...meta },
  spec: {},
  ...(status ? { status } : {}),
});

describe('scheduleChanged', () => {
  it('ignores an update that only touched status (our own status writes come back this way)', () => {
    expect(scheduleChanged(s({}), s({ resourceVersion: '2' }, { observedGeneration: 1 }))).toBe(false);
  });

  it.each([
    ['a spec change (generation)', { generation: 2 }],
    ['a run-now annotation', { annotations: { 'schedule-operator.io/run-requested-at': 't1' } }],
    ['a label change', { labels: { team: 'a' } }],
    ['deletion', { deletionTimestamp: '2026-01-01T00:00:00Z' }],
  ])('reconciles after %s', (_what, meta) => {
    expect(scheduleChanged(s({}), s({ resourceVersion: '2', ...meta }))).toBe(true);
  });
});

describe('describeListError', () => {
  it('tells how to install the CRD when Schedules cannot be listed (404)', () => {
    expect(
      describeListError('schedules', '/apis/schedule-operator.io/v1alpha1/schedules', new ApiError(404, 'NotFound', 'not found')),
    ).toBe('the Schedule CRD is not installed: run `kubectl apply --server-side -f crds/` (or install the Helm chart); retrying');
  });

  it('names the missing permission on 403', () => {
    expect(describeListError('jobs', '/apis/batch/v1/jobs', new ApiError(403, 'Forbidden', 'forbidden'))).toContain(
      'grant its ServiceAccount get/list/watch on jobs',
    );
  });

  it('says the API server is unreachable on a refused connection', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(describeListError('cronJobs', '/apis/batch/v1/cronjobs', err)).toContain('cannot reach the API server (ECONNREFUSED)');
  });
});
