import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../src/api/schedule.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { computeStatus, latest, mergeRuns } from '../../../src/schedule/status.js';
import { validateSpec } from '../../../src/schedule/validate.js';

const NOW = new Date('2026-06-01T12:00:30Z');
const spec = {
  schedule: '* * * * *',
  timeZone: 'UTC',
  jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } },
};
const schedule = (status?: Schedule['status']): Schedule => ({
  apiVersion: 'schedule-operator.io/v1alpha1',
  kind: 'Schedule',
  metadata: { name: 's', namespace: 'ns', uid: 'u', generation: 3 },
  spec,
  ...(status ? { status } : {}),
});
const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 's', namespace: 'ns', uid: 'cj' },
  spec: { schedule: '* * * * *', timeZone: 'UTC', jobTemplate: { spec: {} } },
  status: { lastScheduleTime: '2026-06-01T12:00:00Z', lastSuccessfulTime: '2026-06-01T11:59:07Z' },
};

function job(
  name: string,
  result: 'Complete' | 'Failed' | undefined,
  start: string,
  end?: string,
  extra: Partial<Job['metadata']> = {},
): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': start },
      ...extra,
    },
    status: {
      startTime: start,
      ...(end ? { completionTime: result === 'Complete' ? end : undefined } : {}),
      conditions: result
        ? [
            {
              type: result,
              status: 'True',
              reason: result === 'Failed' ? 'BackoffLimitExceeded' : 'Completed',
              message: result === 'Failed' ? 'Job has reached the specified backoff limit' : '',
              lastTransitionTime: end,
            },
          ]
        : [],
    },
  };
}

const valid = validateSpec(spec);

describe('computeStatus', () => {
  it('fills the last run, success and failure times from the Jobs', () => {
    const jobs = [
      job('s-1', 'Complete', '2026-06-01T11:58:00Z', '2026-06-01T11:58:05Z'),
      job('s-2', 'Failed', '2026-06-01T11:59:00Z', '2026-06-01T11:59:09Z'),
      job('s-3', undefined, '2026-06-01T12:00:00Z'),
    ];
    const status = computeStatus({ schedule: schedule(), validation: valid, cronJob, jobs, now: NOW });
    expect(status.lastScheduleTime).toBe('2026-06-01T12:00:00Z');
    expect(status.lastSuccessfulTime).toBe('2026-06-01T11:59:07Z'); // the CronJob's own record is newer
    expect(status.lastFailureTime).toBe('2026-06-01T11:59:09Z');
    expect(status.lastRun).toMatchObject({
      jobName: 's-2',
      result: 'Failed',
      reason: 'BackoffLimitExceeded',
      trigger: 'Scheduled',
      durationSeconds: 9,
      scheduledTime: '2026-06-01T11:59:00Z',
    });
    expect(status.active).toEqual([{ name: 's-3', startTime: '2026-06-01T12:00:00Z' }]);
    expect(status.recentRuns?.map((r) => r.jobName)).toEqual(['s-2', 's-1']);
    expect(status.nextRunTime).toBe('2026-06-01T12:01:00Z');
    expect(status.observedGeneration).toBe(3);
  });

  it('keeps the last failure time after the failed Job is garbage-collected', () => {
    const before = computeStatus({
      schedule: schedule(),
      validation: valid,
      cronJob,
      jobs: [job('s-2', 'Failed', '2026-06-01T11:59:00Z', '2026-06-01T11:59:09Z')],
      now: NOW,
    });
    const after = computeStatus({ schedule: schedule(before), validation: valid, cronJob, jobs: [], now: NOW });
    expect(after.lastFailureTime).toBe('2026-06-01T11:59:09Z');
    expect(after.lastRun?.jobName).toBe('s-2');
    expect(after.recentRuns).toHaveLength(1);
  });

  it('marks run-now Jobs as Manual', () => {
    const manual = job('s-manual-abc', 'Complete', '2026-06-01T11:00:00Z', '2026-06-01T11:00:02Z', {
      labels: { 'schedule-operator.io/trigger': 'Manual' },
    });
    const status = computeStatus({ schedule: schedule(), validation: valid, cronJob, jobs: [manual], now: NOW });
    expect(status.lastRun?.trigger).toBe('Manual');
  });

  it("keeps a condition's lastTransitionTime while its status stays the same", () => {
    const first = computeStatus({ schedule: schedule(), validation: valid, cronJob, jobs: [], now: NOW });
    const later = computeStatus({ schedule: schedule(first), validation: valid, cronJob, jobs: [], now: new Date('2026-06-01T13:00:30Z') });
    expect(later.conditions?.[0]?.lastTransitionTime).toBe('2026-06-01T12:00:30Z');
  });
});

describe('status helpers', () => {
  it('latest picks the most recent instant and ignores missing ones', () => {
    expect(latest(undefined, '2026-01-01T00:00:00Z', '2025-12-31T23:59:59Z')).toBe('2026-01-01T00:00:00Z');
    expect(latest()).toBeUndefined();
  });

  it('mergeRuns keeps one entry per Job, newest first, bounded', () => {
    const run = (n: string, t: string) => ({
      jobName: n,
      jobUID: n,
      trigger: 'Scheduled' as const,
      completionTime: t,
      result: 'Succeeded' as const,
    });
    const merged = mergeRuns(
      [run('a', '2026-01-01T00:00:00Z'), run('b', '2026-01-02T00:00:00Z')],
      [run('b', '2026-01-02T00:00:00Z'), run('c', '2026-01-03T00:00:00Z')],
      2,
    );
    expect(merged.map((r) => r.jobName)).toEqual(['c', 'b']);
  });
});

describe('computeStatus with slot accounting (issue 10)', () => {
  it('while paused after failures the CronJob is suspended: no nextRunTime, no upcomingRuns', () => {
    const v = validateSpec(spec);
    const status = computeStatus({ schedule: schedule(), validation: v, cronJob, jobs: [], now: NOW, paused: true });
    expect(status.nextRunTime).toBeUndefined();
    expect(status.upcomingRuns).toBeUndefined();
    expect(computeStatus({ schedule: schedule(), validation: v, cronJob, jobs: [], now: NOW }).nextRunTime).toBe('2026-06-01T12:01:00Z');
  });

  it('recentRuns keeps missed and skipped slot entries beside runs, lastRun is the newest Job run', () => {
    const v = validateSpec(spec);
    const prev = {
      recentRuns: [
        {
          trigger: 'Scheduled' as const,
          scheduledTime: '2026-06-01T11:59:30Z',
          outcome: 'Missed' as const,
          reason: 'NotStarted',
          message: 'm',
        },
      ],
    };
    const status = computeStatus({
      schedule: schedule(prev),
      validation: v,
      cronJob,
      jobs: [job('s-1', 'Complete', '2026-06-01T11:58:00Z', '2026-06-01T11:58:09Z')],
      now: NOW,
    });
    expect(status.recentRuns?.map((r) => r.jobName ?? r.outcome)).toEqual(['Missed', 's-1']);
    expect(status.lastRun?.jobName).toBe('s-1');
  });

  it('spec.runHistoryMaxAge drops runs older than the age', () => {
    const v = validateSpec({ ...spec, runHistoryMaxAge: '1h' });
    const old = {
      recentRuns: [{ jobName: 'old', trigger: 'Scheduled' as const, result: 'Succeeded' as const, completionTime: '2026-06-01T10:00:00Z' }],
    };
    const status = computeStatus({
      schedule: schedule(old),
      validation: v,
      cronJob,
      jobs: [job('s-1', 'Complete', '2026-06-01T11:58:00Z', '2026-06-01T11:58:09Z')],
      now: NOW,
    });
    expect(status.recentRuns?.map((r) => r.jobName)).toEqual(['s-1']);
    expect(status.lastRun?.jobName).toBe('s-1');
  });
});
