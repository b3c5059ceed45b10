// Run now as a pure decision (src/schedule/run-now.ts).
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../src/api/schedule.js';
import type { CronJob, Job } from '../../../src/types/kube.js';
import { decideRunNow, manualJobName, manualRunsToAdopt, runRequestStatus, runRequestToken } from '../../../src/schedule/run-now.js';
import { handledTokenKey, MAX_TOKEN_LENGTH, pendingToken, requestTokenProblem } from '../../../src/schedule/tokens.js';

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'ns', uid: 'cj-uid' },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: { metadata: { labels: { 'schedule-operator.io/schedule': 'nightly' } }, spec: { template: {} } },
  },
};

function schedule(token?: string, handled?: string): Schedule {
  return {
    apiVersion: 'schedule-operator.io/v1alpha1',
    kind: 'Schedule',
    metadata: {
      name: 'nightly',
      namespace: 'ns',
      uid: 'sched-uid',
      ...(token ? { annotations: { 'schedule-operator.io/run-requested-at': token } } : {}),
    },
    spec: {},
    ...(handled ? { status: { lastHandledRunRequest: handled } } : {}),
  };
}

const running = (name: string): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, uid: `uid-${name}` },
  status: { active: 1 },
});
const finished = (name: string): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, uid: `uid-${name}` },
  status: { conditions: [{ type: 'Complete', status: 'True' }] },
});

describe('decideRunNow', () => {
  it.each([
    ['no annotation', schedule(), cronJob, [], 'none'],
    ['the token already handled (a GitOps re-apply)', schedule('t1', 't1'), cronJob, [], 'none'],
    ['a new token without a CronJob yet', schedule('t2', 't1'), undefined, [], 'wait'],
    ['a new token, nothing running', schedule('t2', 't1'), cronJob, [finished('nightly-1')], 'create'],
    ['a new token while a Job runs', schedule('t2', 't1'), cronJob, [running('nightly-1')], 'refuse'],
    [
      'a new token while the CronJob lists an active Job the cache has not seen',
      schedule('t2'),
      { ...cronJob, status: { active: [{ name: 'nightly-9' }] } },
      [],
      'refuse',
    ],
    [
      'a new token whose own Job already exists (retry after a lost status write)',
      schedule('t2'),
      cronJob,
      [running(manualJobName('nightly', 'sched-uid', 't2'))],
      'create',
    ],
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

describe("manualRunsToAdopt (the CronJob controller's Forbid only sees Jobs in its status.active)", () => {
  const cj = (active: string[] = []): CronJob => ({
    ...cronJob,
    metadata: { ...cronJob.metadata, uid: 'uid-cj' },
    status: { active: active.map((n) => ({ name: n, uid: `uid-${n}` })) },
  });
  const owned = { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-cj', controller: true }] };
  const manual = (job: Job, how: 'label' | 'kubectl' = 'label'): Job => ({
    ...job,
    metadata: {
      ...job.metadata,
      ...owned,
      ...(how === 'label'
        ? { labels: { 'schedule-operator.io/trigger': 'Manual' } }
        : { annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } }),
    },
  });
  const names = (jobs: Job[]) => jobs.map((j) => j.metadata.name);

  it.each([
    ['a running run-now Job not listed', [manual(running('m1'))], [], ['m1']],
    ['a running `kubectl create job --from` Job not listed', [manual(running('k1'), 'kubectl')], [], ['k1']],
    ['a manual Job already listed', [manual(running('m1'))], ['m1'], []],
    ['a finished manual Job', [manual(finished('m1'))], [], []],
    ['a scheduled Job (the controller lists its own)', [{ ...running('s1'), metadata: { ...running('s1').metadata, ...owned } }], [], []],
    [
      'a manual Job another CronJob controls',
      [
        {
          ...manual(running('m1')),
          metadata: {
            ...manual(running('m1')).metadata,
            ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'x', uid: 'uid-other', controller: true }],
          },
        },
      ],
      [],
      [],
    ],
    [
      'a manual Job being deleted',
      [{ ...manual(running('m1')), metadata: { ...manual(running('m1')).metadata, deletionTimestamp: '2026-06-01T00:00:00Z' } }],
      [],
      [],
    ],
  ])('%s', (_what, jobs, active, want) => {
    expect(names(manualRunsToAdopt(cj(active as string[]), jobs as Job[]))).toEqual(want);
  });

  it('adopts nothing without a CronJob', () => {
    expect(manualRunsToAdopt(undefined, [manual(running('m1'))])).toEqual([]);
  });
});

describe('request tokens: one rule for the webhook and the operator (issue 9, bad input)', () => {
  const RUN = 'schedule-operator.io/run-requested-at';
  const RESUME = 'schedule-operator.io/resume-requested-at';

  it.each([
    ['a timestamp', '2026-12-01T15:00:00.123Z'],
    ['253 characters', 'a'.repeat(MAX_TOKEN_LENGTH)],
    ['spaces and punctuation', 'deploy #42 (by alice)'],
    ['non-ASCII letters and emoji, counted as characters', 'ü'.repeat(200) + '🚀'.repeat(53)],
  ])('accepts %s', (_what, token) => {
    expect(requestTokenProblem(RUN, token)).toBeUndefined();
  });

  it.each([
    ['254 characters', 'a'.repeat(254), /the token is 254 characters long; a token is at most 253 printable characters/],
    ['10 KiB', 'a'.repeat(10 * 1024), /the token is 10240 characters long/],
    ['a newline', 'a\nb', /unprintable character U\+000A at position 1/],
    ['a carriage return', 'a\rb', /U\+000D/],
    ['DEL', 'a\u007fb', /U\+007F/],
    ['a C1 control', 'a\u0085b', /U\+0085/],
    ['a zero-width space', 'a\u200Bb', /U\+200B/],
    ['a right-to-left override', '\u202Etxt.exe', /U\+202E at position 0/],
    ['a line separator', 'a\u2028b', /U\+2028/],
  ])('refuses %s, naming the annotation and the fix', (_what, token, message) => {
    const problem = requestTokenProblem(RUN, token);
    expect(problem).toMatch(/^metadata.annotations\["schedule-operator.io\/run-requested-at"\]: /);
    expect(problem).toMatch(message);
    expect(problem).toMatch(
      /set it to a new, short value such as the current time in RFC 3339 \(`schedule-operator run <name>` does that\)$/,
    );
  });

  it('names the resume command for the resume token', () => {
    expect(requestTokenProblem(RESUME, 'a\nb')).toMatch(
      /^metadata.annotations\["schedule-operator.io\/resume-requested-at"\]: .*`schedule-operator resume <name>`/,
    );
  });

  it('handledTokenKey is the token itself when good, a fingerprint when bad', () => {
    expect(handledTokenKey(RUN, 't1')).toBe('t1');
    expect(handledTokenKey(RUN, 'x'.repeat(10_240))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(handledTokenKey(RUN, 'a\nb')).not.toBe(handledTokenKey(RUN, 'a\nc'));
  });

  it('pendingToken: a handled bad token (by fingerprint) is not pending again; another bad token is', () => {
    const bad = 'x'.repeat(10_240);
    expect(pendingToken(RUN, bad, undefined)).toBe(bad);
    expect(pendingToken(RUN, bad, handledTokenKey(RUN, bad))).toBeUndefined();
    expect(pendingToken(RUN, `${bad}y`, handledTokenKey(RUN, bad))).toBe(`${bad}y`);
    expect(pendingToken(RUN, '', 't1')).toBeUndefined();
    expect(pendingToken(RUN, 't1', 't1')).toBeUndefined();
  });
});

describe('decideRunNow with a bad token (the webhook was bypassed)', () => {
  const bad = 'x'.repeat(10 * 1024);

  it.each([
    ['10 KiB', bad, /the token is 10240 characters long/],
    ['control characters', 'now\u0000\n', /unprintable character U\+0000/],
  ])('refuses a token of %s into status under its fingerprint, never copying it', (_what, token, message) => {
    const d = decideRunNow({ schedule: schedule(token, 'earlier'), cronJob, jobs: [] });
    expect(d).toMatchObject({
      action: 'refuse',
      reason: 'InvalidToken',
      token: handledTokenKey('schedule-operator.io/run-requested-at', token),
    });
    const status = runRequestStatus(d as Extract<typeof d, { action: 'refuse' }>, new Date('2026-12-01T15:00:00Z'));
    expect(status).toMatchObject({ outcome: 'Refused', reason: 'InvalidToken', token: expect.stringMatching(/^sha256:/) });
    expect(status.message).toMatch(/^run request refused: metadata.annotations\["schedule-operator.io\/run-requested-at"\]: /);
    expect(status.message).toMatch(message);
    expect(JSON.stringify(status)).not.toContain(token);
    expect(JSON.stringify(status).length).toBeLessThan(700);
  });

  it('refuses it even before the CronJob exists (nothing to wait for)', () => {
    expect(decideRunNow({ schedule: schedule(bad), cronJob: undefined, jobs: [] }).action).toBe('refuse');
  });

  it('once recorded (lastHandledRunRequest = fingerprint), the same bad token does nothing; a good new token runs', () => {
    const handled = handledTokenKey('schedule-operator.io/run-requested-at', bad);
    expect(runRequestToken(schedule(bad, handled))).toBeUndefined();
    expect(decideRunNow({ schedule: schedule(bad, handled), cronJob, jobs: [] }).action).toBe('none');
    expect(decideRunNow({ schedule: schedule('t3', handled), cronJob, jobs: [] }).action).toBe('create');
  });
});
