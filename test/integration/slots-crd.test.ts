// The slot-accounting fields on a real API server (issue 10): the CRD refuses bad durations and
// pauseAfterConsecutiveFailures 0 with a message naming the field, and accepts a full status of the new shape.
import { describe, expect, it } from 'vitest';
import { scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { schedulesPath } from '../support/kube.js';

const env = useOperatorNamespace('slots-crd', { startOperator: false });

async function refusal(name: string, spec: Record<string, unknown>): Promise<{ statusCode: number; message: string }> {
  try {
    await env.kube.create(schedulesPath(env.ns), scheduleManifest(env.ns, name, { schedule: '0 3 * * *', ...spec }));
  } catch (err) {
    const e = err as { statusCode: number; message: string };
    return { statusCode: e.statusCode, message: e.message };
  }
  throw new Error(`${name} was accepted`);
}

describe('the CRD on the API server', () => {
  it.each([
    ['neg', { expectSuccessWithin: '-5m' }, /spec.expectSuccessWithin must be a positive duration/],
    ['frac', { expectSuccessWithin: '1.5h' }, /spec.expectSuccessWithin must be a positive duration/],
    ['empty', { expectSuccessWithin: '' }, /spec.expectSuccessWithin must be a positive duration/],
    ['age', { runHistoryMaxAge: '30 days' }, /spec.runHistoryMaxAge must be a positive duration/],
    [
      'zero',
      { pauseAfterConsecutiveFailures: 0 },
      /spec.pauseAfterConsecutiveFailures: Invalid value: 0: spec.pauseAfterConsecutiveFailures in body should be greater than or equal to 1/,
    ],
  ])('refuses %s with a message naming the field', async (name, spec, message) => {
    const r = await refusal(`bad-${name}`, spec);
    expect(r.statusCode).toBe(422);
    expect(r.message).toMatch(message);
  });

  it('accepts the new spec fields and a status with slots, pause, slot entries and failure details', async () => {
    const created = await env.kube.create(
      schedulesPath(env.ns),
      scheduleManifest(env.ns, 'good', {
        schedule: '* * * * *',
        expectSuccessWithin: '25h',
        pauseAfterConsecutiveFailures: 2,
        runHistoryMaxAge: '30d',
      }),
    );
    const status = {
      runs: { total: 2, succeeded: 0, failed: 2, missed: 1, skipped: 1 },
      lastMissedTime: '2026-01-01T10:02:00Z',
      slots: {
        watermark: '2026-01-01T10:03:00Z',
        segments: [
          { from: '2026-01-01T10:00:30Z', cron: '* * * * *', timeZone: 'UTC', suspend: true, paused: true, startingDeadlineSeconds: 300 },
        ],
        runs: [{ job: 'good-1', start: '2026-01-01T10:01:01Z', end: '2026-01-01T10:03:30Z', scheduledTime: '2026-01-01T10:01:00Z' }],
      },
      recentRuns: [
        {
          trigger: 'Scheduled',
          scheduledTime: '2026-01-01T10:02:00Z',
          outcome: 'SkippedOverlap',
          reason: 'RunActive',
          message: 'not started',
        },
        {
          jobName: 'good-1',
          trigger: 'Scheduled',
          result: 'Failed',
          reason: 'BackoffLimitExceeded',
          exitCode: 137,
          containerReason: 'OOMKilled',
          terminationMessage: 'ä'.repeat(500),
          container: 'good-1-x/main',
        },
      ],
      recentFailures: [{ jobName: 'good-1', trigger: 'Scheduled', result: 'Failed', exitCode: 137 }],
      pause: {
        since: '2026-01-01T10:04:00Z',
        reason: 'PausedAfterFailures',
        message: 'paused after 2 failed runs in a row',
        jobs: ['good-1', 'good-0'],
      },
      lastHandledResumeRequest: 'r1',
      lastResume: { time: '2026-01-01T09:00:00Z', consecutiveFailures: 0 },
      expectSuccessSince: '2026-01-01T10:00:30Z',
    };
    const written = await env.kube.rest.request<any>('PUT', `${schedulesPath(env.ns, 'good')}/status`, { body: { ...created, status } });
    expect(written.status).toEqual(status);
  });
});
