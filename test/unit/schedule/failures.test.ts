// Failure reasons (src/schedule/failures.ts): the Job's Failed condition and the failed container, never logs.
import { describe, expect, it } from 'vitest';
import { MAX_TERMINATION_MESSAGE_BYTES, type Run } from '../../../src/api/schedule.js';
import type { Job } from '../../../src/types/kube.js';
import {
  failureDetails,
  jobFailure,
  mergeFailures,
  podFailure,
  podSelector,
  truncateUtf8,
  type PodLike,
} from '../../../src/schedule/failures.js';

const failedJob = (reason: string, message = `Job has reached the specified ${reason}`): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'nightly-1', uid: 'u1' },
  status: {
    conditions: [
      { type: 'FailureTarget', status: 'True', reason, message },
      { type: 'Failed', status: 'True', reason, message },
    ],
  },
});

function pod(
  name: string,
  created: string,
  containers: Array<{ name: string; exitCode: number; reason?: string; message?: string; finishedAt?: string; last?: boolean }>,
  init = false,
): PodLike {
  const statuses = containers.map((c) => {
    const terminated = { exitCode: c.exitCode, reason: c.reason, message: c.message, finishedAt: c.finishedAt };
    return c.last ? { name: c.name, state: {}, lastState: { terminated } } : { name: c.name, state: { terminated } };
  });
  return {
    metadata: { name, creationTimestamp: created },
    status: { phase: 'Failed', ...(init ? { initContainerStatuses: statuses } : { containerStatuses: statuses }) },
  };
}

describe('failure reasons', () => {
  it.each(['BackoffLimitExceeded', 'DeadlineExceeded', 'PodFailurePolicy', 'MaxFailedIndexesExceeded'])(
    'takes the Job reason %s and message from its Failed condition',
    (reason) => {
      expect(jobFailure(failedJob(reason))).toEqual({ reason, message: `Job has reached the specified ${reason}` });
    },
  );

  it('picks the failed container of the newest pod: exit code, reason, termination message', () => {
    const pods = [
      pod('p-old', '2026-01-01T00:00:00Z', [{ name: 'main', exitCode: 1, reason: 'Error', message: 'first try' }]),
      pod('p-new', '2026-01-01T00:01:00Z', [
        { name: 'sidecar', exitCode: 0, reason: 'Completed' },
        { name: 'main', exitCode: 137, reason: 'OOMKilled', message: 'out of memory\n' },
      ]),
    ];
    expect(failureDetails(failedJob('BackoffLimitExceeded'), pods)).toEqual({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified BackoffLimitExceeded',
      container: 'p-new/main',
      exitCode: 137,
      containerReason: 'OOMKilled',
      terminationMessage: 'out of memory',
    });
  });

  it('reads a failed init container, and the last state of a container restarted in place (restartPolicy OnFailure)', () => {
    expect(podFailure([pod('p', '2026-01-01T00:00:00Z', [{ name: 'migrate', exitCode: 2, reason: 'Error' }], true)])).toEqual({
      container: 'p/migrate',
      exitCode: 2,
      containerReason: 'Error',
    });
    expect(podFailure([pod('p', '2026-01-01T00:00:00Z', [{ name: 'main', exitCode: 3, reason: 'Error', last: true }])])).toEqual({
      container: 'p/main',
      exitCode: 3,
      containerReason: 'Error',
    });
  });

  it('of several failed containers in a pod, the one that finished last', () => {
    const p = pod('p', '2026-01-01T00:00:00Z', [
      { name: 'a', exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:05Z' },
      { name: 'b', exitCode: 2, reason: 'Error', finishedAt: '2026-01-01T00:00:09Z' },
    ]);
    expect(podFailure([p])?.container).toBe('p/b');
  });

  it('an evicted pod reports the pod-level reason; no pods or only successful containers say nothing', () => {
    const evicted: PodLike = {
      metadata: { name: 'p' },
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
    };
    expect(podFailure([evicted])).toEqual({
      container: 'p',
      containerReason: 'Evicted',
      terminationMessage: 'The node was low on resource: memory.',
    });
    expect(podFailure([])).toBeUndefined();
    expect(podFailure([pod('p', '2026-01-01T00:00:00Z', [{ name: 'main', exitCode: 0 }])])).toBeUndefined();
    expect(failureDetails(failedJob('DeadlineExceeded'), [])).toEqual({
      reason: 'DeadlineExceeded',
      message: 'Job has reached the specified DeadlineExceeded',
    });
  });

  it(`cuts the termination message to ${MAX_TERMINATION_MESSAGE_BYTES} bytes of UTF-8 without splitting a character`, () => {
    const long = 'ä'.repeat(600) + '😀'.repeat(300); // 1200 + 1200 bytes
    const cut = podFailure([pod('p', '2026-01-01T00:00:00Z', [{ name: 'main', exitCode: 1, message: long }])])!.terminationMessage!;
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(MAX_TERMINATION_MESSAGE_BYTES);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/\uFFFD/);
    expect(truncateUtf8('a😀b', 6)).toBe('a😀b'); // 6 bytes fit
    expect(truncateUtf8('a😀b', 5)).toBe('a…'); // 😀 (4 bytes) does not fit beside the 3-byte ellipsis
    expect(truncateUtf8('short', 1024)).toBe('short');
    expect(truncateUtf8('x'.repeat(2000), 1024)).toHaveLength(1022);
  });

  it('selects the pods of a Job by its controller uid', () => {
    expect(podSelector(failedJob('BackoffLimitExceeded'))).toBe('batch.kubernetes.io/controller-uid=u1');
  });

  it('recentFailures: the last 5 failures newest first, not pushed out by successes, one entry per Job', () => {
    const run = (n: number, result: Run['result']): Run => ({
      jobName: `j${n}`,
      jobUID: `u${n}`,
      trigger: 'Scheduled',
      result,
      completionTime: `2026-01-01T00:${String(n).padStart(2, '0')}:00Z`,
    });
    let failures: Run[] = [];
    for (let n = 1; n <= 30; n++) failures = mergeFailures(failures, [run(n, n % 7 === 0 ? 'Failed' : 'Succeeded')]);
    expect(failures.map((r) => r.jobName)).toEqual(['j28', 'j21', 'j14', 'j7']);
    failures = mergeFailures(failures, [{ ...run(28, 'Failed'), exitCode: 1 }]);
    expect(failures[0]).toMatchObject({ jobName: 'j28', exitCode: 1 });
    for (let n = 31; n <= 40; n++) failures = mergeFailures(failures, [run(n, 'Failed')]);
    expect(failures.map((r) => r.jobName)).toEqual(['j40', 'j39', 'j38', 'j37', 'j36']);
  });
});
