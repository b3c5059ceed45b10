// Pause after failures (src/schedule/pause.ts): rules P1-P6, the Suspended condition and the desired CronJob.
import { describe, expect, it } from 'vitest';
import type { Run, Schedule, ScheduleStatus } from '../../../src/api/schedule.js';
import { cronJobSuspend, desiredCronJob } from '../../../src/schedule/desired.js';
import { decidePause, failuresTowardsPause, suspendedCondition, type PauseDecision } from '../../../src/schedule/pause.js';
import { validateSpec } from '../../../src/schedule/validate.js';

const now = new Date('2026-01-01T12:00:00Z');
const failure = (n: number): Run => ({
  jobName: `nightly-${n}`,
  trigger: 'Scheduled',
  result: 'Failed',
  completionTime: `2026-01-01T0${n}:00:00Z`,
});

function schedule(status: ScheduleStatus, token?: string): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: {
      name: 'nightly',
      namespace: 'team-a',
      uid: 'u',
      ...(token ? { annotations: { 'schedule-operator.io/resume-requested-at': token } } : {}),
    },
    spec: {},
    status,
  };
}

/** pass applies a decision to status, as the reconciler's status write would. */
function pass(status: ScheduleStatus, pauseAfter: number | undefined, token?: string): { status: ScheduleStatus; d: PauseDecision } {
  const d = decidePause({ schedule: schedule(status, token), pauseAfter, status, now });
  const next: ScheduleStatus = { ...status };
  for (const [k, v] of [
    ['pause', d.pause],
    ['lastHandledResumeRequest', d.lastHandledResumeRequest],
    ['lastResume', d.lastResume],
  ] as const) {
    if (v === undefined) delete next[k];
    else (next as Record<string, unknown>)[k] = v;
  }
  return { status: next, d };
}

describe('pause after consecutive failures', () => {
  it('P4 pauses when the failures in a row reach N, naming the failed Jobs, with one Warning event', () => {
    expect(pass({ consecutiveFailures: 1, recentFailures: [failure(1)] }, 2).d.pause).toBeUndefined();
    const { status, d } = pass({ consecutiveFailures: 2, recentFailures: [failure(2), failure(1)] }, 2);
    expect(d.pause).toMatchObject({ since: '2026-01-01T12:00:00Z', reason: 'PausedAfterFailures', jobs: ['nightly-2', 'nightly-1'] });
    expect(d.pause!.message).toMatch(
      /paused after 2 failed runs in a row \(spec.pauseAfterConsecutiveFailures 2\): nightly-2, nightly-1\. .*schedule-operator resume nightly -n team-a/,
    );
    expect(d.event).toMatchObject({ type: 'Warning', reason: 'PausedAfterFailures' });
    // The next pass keeps the pause and announces nothing again.
    const again = pass(status, 2);
    expect(again.d.pause).toEqual(d.pause);
    expect(again.d.event).toBeUndefined();
  });

  it('P2 a new resume token resumes once; P1 the same token again does nothing', () => {
    const paused = pass({ consecutiveFailures: 2, recentFailures: [failure(2), failure(1)] }, 2).status;
    const resumed = pass(paused, 2, 'fix-1');
    expect(resumed.d.pause).toBeUndefined();
    expect(resumed.d.lastHandledResumeRequest).toBe('fix-1');
    expect(resumed.d.lastResume).toEqual({ time: '2026-01-01T12:00:00Z', consecutiveFailures: 2 });
    expect(resumed.d.event).toMatchObject({ type: 'Normal', reason: 'Resumed' });
    // One more failure: not yet N more; the same token cannot resume a later pause.
    const one = pass({ ...resumed.status, consecutiveFailures: 3 }, 2, 'fix-1');
    expect(one.d.pause).toBeUndefined();
    const twoMore = pass({ ...one.status, consecutiveFailures: 4 }, 2, 'fix-1');
    expect(twoMore.d.pause).toBeDefined();
    expect(pass(twoMore.status, 2, 'fix-1').d.pause).toBeDefined();
    expect(pass(twoMore.status, 2, 'fix-2').d.pause).toBeUndefined();
  });

  it('P6 a resume token that is not a token resumes nothing: recorded as a fingerprint, one Warning event, not judged again', () => {
    const paused = pass({ consecutiveFailures: 2, recentFailures: [failure(2), failure(1)] }, 2).status;
    for (const bad of ['x'.repeat(10 * 1024), 'fix\nnow']) {
      const refused = pass(paused, 2, bad);
      expect(refused.d.pause).toEqual(paused.pause);
      expect(refused.d.lastHandledResumeRequest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(refused.d.event).toMatchObject({ type: 'Warning', reason: 'InvalidToken' });
      expect(refused.d.event!.message).toMatch(
        /^resume request refused: metadata\.annotations\["schedule-operator\.io\/resume-requested-at"\]: .*schedule-operator resume <name>/,
      );
      expect(refused.d.event!.message).not.toContain(bad);
      const again = pass(refused.status, 2, bad);
      expect(again.d.event).toBeUndefined();
      expect(again.d.lastHandledResumeRequest).toBe(refused.d.lastHandledResumeRequest);
    }
  });

  it('after a resume, a success starts the count afresh', () => {
    const status: ScheduleStatus = {
      consecutiveFailures: 1,
      lastSuccessfulTime: '2026-01-01T13:00:00Z',
      lastResume: { time: '2026-01-01T12:00:00Z', consecutiveFailures: 2 },
    };
    expect(failuresTowardsPause(status)).toBe(1);
    expect(failuresTowardsPause({ ...status, consecutiveFailures: 3 })).toBe(3);
    expect(failuresTowardsPause({ consecutiveFailures: 3, lastResume: { time: '2026-01-01T12:00:00Z', consecutiveFailures: 2 } })).toBe(1);
  });

  it('P3 a new token while not paused is recorded and cannot pre-empt a later pause', () => {
    const { status, d } = pass({ consecutiveFailures: 0 }, 2, 'early');
    expect(d).toEqual({ pause: undefined, lastHandledResumeRequest: 'early', lastResume: undefined });
    expect(pass({ ...status, consecutiveFailures: 2 }, 2, 'early').d.pause).toBeDefined();
  });

  it('P5 removing spec.pauseAfterConsecutiveFailures resumes; without it nothing ever pauses', () => {
    const paused = pass({ consecutiveFailures: 5 }, 1).status;
    expect(paused.pause).toBeDefined();
    expect(pass(paused, undefined).d).toMatchObject({ pause: undefined, event: { reason: 'Resumed' } });
    expect(pass({ consecutiveFailures: 50 }, undefined).d.pause).toBeUndefined();
  });

  it('Suspended condition: PausedAfterFailures while paused, Suspended for spec.suspend, False otherwise', () => {
    const pause = { since: '2026-01-01T12:00:00Z', reason: 'PausedAfterFailures', message: 'paused after 2 failed runs in a row' };
    expect(suspendedCondition(false, pause)).toEqual({
      type: 'Suspended',
      status: 'True',
      reason: 'PausedAfterFailures',
      message: pause.message,
    });
    expect(suspendedCondition(true, pause).message).toContain('spec.suspend is true as well');
    expect(suspendedCondition(true, undefined)).toMatchObject({ status: 'True', reason: 'Suspended' });
    expect(suspendedCondition(false, undefined)).toMatchObject({ status: 'False', reason: 'Active' });
  });

  it('the desired CronJob is suspended while paused, without touching spec', () => {
    const v = validateSpec({ schedule: '0 3 * * *', pauseAfterConsecutiveFailures: 2, jobTemplate: { spec: { template: {} } } });
    if (!v.ok) throw new Error('invalid');
    const owner = { name: 'nightly', namespace: 'team-a', uid: 'u' };
    expect(desiredCronJob(owner, v.spec, v.effectiveSchedule).spec.suspend).toBe(false);
    const paused = desiredCronJob(owner, v.spec, v.effectiveSchedule, cronJobSuspend({ suspend: false }, { since: 'x' }));
    expect(paused.spec.suspend).toBe(true);
    expect(v.spec.suspend).toBe(false);
    expect(cronJobSuspend({ suspend: true }, undefined)).toBe(true);
    expect(cronJobSuspend({ suspend: false }, undefined)).toBe(false);
  });
});
