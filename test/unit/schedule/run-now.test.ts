// Run now as a pure decision (src/schedule/run-now.ts).
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../src/api/schedule.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { decideRunNow, manualJobName, manualRunsToAdopt } from '../../../src/schedule/run-now.js';

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'ns', uid: 'cj-uid' },
  spec: { schedule: '0 3 * * *', jobTemplate: { metadata: { labels: { 'schedule-operator.io/schedule': 'nightly' } }, spec: { template: {} } } },
};

function schedule(token?: string, handled?: string): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: { name: 'nightly', namespace: 'ns', uid: 'sched-uid', ...(token ? { annotations: { 'schedule-operator.io/run-requested-at': token } } : {}) },
    spec: {},
    ...(handled ? { status: { lastHandledRunRequest: handled } } : {}),
  };
}

const running = (name: string): Job => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, uid: `uid-${name}` }, status: { active: 1 } });
const finished = (name: string): Job => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, uid: `uid-${name}` }, status: { conditions: [{ type: 'Complete', status: 'True' }] } });

describe('decideRunNow', () => {
  it.each([
    ['no annotation', schedule(), cronJob, [], 'none'],
    ['the token already handled (a GitOps re-apply)', schedule('t1', 't1'), cronJob, [], 'none'],
    ['a new token without a CronJob yet', schedule('t2', 't1'), undefined, [], 'wait'],
    ['a new token, nothing running', schedule('t2', 't1'), cronJob, [finished('nightly-1')], 'create'],
    ['a new token while a Job runs', schedule('t2', 't1'), cronJob, [running('nightly-1')], 'refuse'],
    ['a new token while the CronJob lists an active Job the cache has not seen', schedule('t2'), { ...cronJob, status: { active: [{ name: 'nightly-9' }] } }, [], 'refuse'],
    ['a new token whose own Job already exists (retry after a lost status write)', schedule('t2'), cronJob, [running(manualJobName('nightly', 'sched-uid', 't2'))], 'create'],
  ] as const)('%s → %s', (_what, s, cj, jobs, action) => {
    expect(decideRunNow({ schedule: s, cronJob: cj as CronJob | undefined, jobs: [...jobs] }).action).toBe(action);
  });

  it('explains a refusal with the running Job and what to do', () => {
    const d = decideRunNow({ schedule: schedule('t2'), cronJob, jobs: [running('nightly-1')] });
    expect(d).toMatchObject({ action: 'refuse', reason: 'RunActive' });
    expect((d as { message: string }).message).toBe(
      'run request "t2" refused: Job nightly-1 is still running and runs never overlap (concurrencyPolicy Forbid); request again with a new token after it finishes',
    );
  });
});

describe('manualJobName', () => {
  it('is deterministic per Schedule uid and token, and differs for another token or a re-created Schedule', () => {
    expect(manualJobName('nightly', 'u1', 't')).toBe(manualJobName('nightly', 'u1', 't'));
    expect(manualJobName('nightly', 'u1', 't')).not.toBe(manualJobName('nightly', 'u1', 't2'));
    expect(manualJobName('nightly', 'u1', 't')).not.toBe(manualJobName('nightly', 'u2', 't'));
  });

  it('stays a valid name of at most 63 characters for the longest Schedule name', () => {
    const name = manualJobName(`${'a'.repeat(44)}-${'b'.repeat(7)}`, 'u1', 'token');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(manualJobName(`${'a'.repeat(44)}-xyz`, 'u1', 'token')).not.toContain('--');
  });
});

describe('manualRunsToAdopt (the CronJob controller\'s Forbid only sees Jobs in its status.active)', () => {
  const cj = (active: string[] = []): CronJob => ({ ...cronJob, metadata: { ...cronJob.metadata, uid: 'uid-cj' }, status: { active: active.map((n) => ({ name: n, uid: `uid-${n}` })) } });
  const owned = { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-cj', controller: true }] };
  const manual = (job: Job, how: 'label' | 'kubectl' = 'label'): Job => ({
    ...job,
    metadata: {
      ...job.metadata,
      ...owned,
      ...(how === 'label' ? { labels: { 'schedule-operator.io/trigger': 'Manual' } } : { annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } }),
    },
  });
  const names = (jobs: Job[]) => jobs.map((j) => j.metadata.name);

  it.each([
    ['a running run-now Job not listed', [manual(running('m1'))], [], ['m1']],
    ['a running `kubectl create job --from` Job not listed', [manual(running('k1'), 'kubectl')], [], ['k1']],
    ['a manual Job already listed', [manual(running('m1'))], ['m1'], []],
    ['a finished manual Job', [manual(finished('m1'))], [], []],
    ['a scheduled Job (the controller lists its own)', [{ ...running('s1'), metadata: { ...running('s1').metadata, ...owned } }], [], []],
    ['a manual Job another CronJob controls', [{ ...manual(running('m1')), metadata: { ...manual(running('m1')).metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'x', uid: 'uid-other', controller: true }] } }], [], []],
    ['a manual Job being deleted', [{ ...manual(running('m1')), metadata: { ...manual(running('m1')).metadata, deletionTimestamp: '2026-06-01T00:00:00Z' } }], [], []],
  ])('%s', (_what, jobs, active, want) => {
    expect(names(manualRunsToAdopt(cj(active as string[]), jobs as Job[]))).toEqual(want);
  });

  it('adopts nothing without a CronJob', () => {
    expect(manualRunsToAdopt(undefined, [manual(running('m1'))])).toEqual([]);
  });
});
