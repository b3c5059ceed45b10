// admit(): the webhook's decision for one AdmissionReview, with the API server's answers injected.
// The table holds Schedules the webhook must refuse, each with the field and fix its message must name.
import { describe, expect, it } from 'vitest';
import { admit, dryRunCronJobFor, type AdmissionReview, type AdmitDeps, type UserInfo } from '../../../src/webhook/admit.js';
import type { CronJob } from '../../../src/types/kube.js';

const template = { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } } };
const alice: UserInfo = { username: 'alice', uid: 'u-1', groups: ['team-a', 'system:authenticated'] };

function review(
  spec: unknown,
  o: {
    operation?: 'CREATE' | 'UPDATE' | 'DELETE';
    oldSpec?: unknown;
    user?: UserInfo;
    deleting?: boolean;
    kind?: string;
    annotations?: Record<string, string>;
    oldAnnotations?: Record<string, string>;
  } = {},
): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'req-1',
      kind: { group: 'schedule-operator.io', version: 'v1alpha1', kind: o.kind ?? 'Schedule' },
      operation: o.operation ?? 'CREATE',
      namespace: 'team-a',
      name: 'nightly',
      userInfo: o.user ?? alice,
      object: {
        metadata: {
          name: 'nightly',
          namespace: 'team-a',
          ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
          ...(o.annotations ? { annotations: o.annotations } : {}),
        },
        spec,
      },
      ...(o.oldSpec !== undefined
        ? { oldObject: { spec: o.oldSpec, ...(o.oldAnnotations ? { metadata: { annotations: o.oldAnnotations } } : {}) } }
        : {}),
    },
  };
}

interface Recorded {
  dryRuns: CronJob[];
  reviews: Array<{ user: UserInfo; namespace: string }>;
}

function deps(o: Partial<AdmitDeps> = {}): AdmitDeps & Recorded {
  const rec: Recorded = { dryRuns: [], reviews: [] };
  return {
    ...rec,
    checkJobPermission: true,
    async dryRunCronJob(cj) {
      rec.dryRuns.push(cj);
      return { ok: true };
    },
    async canCreateJobs(user, namespace) {
      rec.reviews.push({ user, namespace });
      return { allowed: true };
    },
    ...o,
  };
}

const spec = (s: Record<string, unknown>) => ({ jobTemplate: template, ...s });

// [name, spec, the message must match]
const bad: Array<[string, unknown, RegExp]> = [
  ['no schedule, preset or interval', spec({}), /spec: set one of spec.schedule .*spec.preset .*spec.interval/],
  [
    'both schedule and interval',
    spec({ schedule: '0 3 * * *', interval: '15m' }),
    /spec: set exactly one of .* this spec sets spec.schedule and spec.interval/,
  ],
  ['schedule, preset and interval', spec({ schedule: '0 3 * * *', preset: { frequency: 'daily' }, interval: '1h' }), /set exactly one of/],
  ['an empty schedule', spec({ schedule: '' }), /spec.schedule: must not be empty/],
  ['a schedule with a seconds field', spec({ schedule: '0 0 3 * * *' }), /spec.schedule: .*6 fields.*no seconds/],
  ['a Quartz schedule with 7 fields', spec({ schedule: '0 0 3 * * ? 2026' }), /spec.schedule: .*7 fields/],
  ['a schedule with 4 fields', spec({ schedule: '0 3 * *' }), /spec.schedule: .*4 fields.*exactly 5/],
  ['TZ= inside the schedule', spec({ schedule: 'TZ=Europe/Berlin 0 3 * * *' }), /spec.schedule: .*TZ.*set spec.timeZone instead/],
  ['CRON_TZ= inside the schedule', spec({ schedule: 'CRON_TZ=UTC 0 3 * * *' }), /spec.schedule: .*TZ/],
  ['L (last day) in day-of-month', spec({ schedule: '0 0 L * *' }), /spec.schedule: day-of-month field "L"/],
  ['W (weekday) in day-of-month', spec({ schedule: '0 0 15W * *' }), /spec.schedule: day-of-month field "15W"/],
  ['# (nth weekday) in day-of-week', spec({ schedule: '0 0 * * 1#2' }), /spec.schedule: day-of-week field "1#2"/],
  ['H (hash) in minutes', spec({ schedule: 'H 3 * * *' }), /spec.schedule: minute field "H"/],
  ['day-of-week 7', spec({ schedule: '0 0 * * 7' }), /spec.schedule: day-of-week field "7"/],
  ['minute 60', spec({ schedule: '60 * * * *' }), /spec.schedule: minute field "60"/],
  ['hour 24', spec({ schedule: '0 24 * * *' }), /spec.schedule: hour field "24"/],
  ['month 13', spec({ schedule: '0 0 1 13 *' }), /spec.schedule: month field "13"/],
  [
    'a schedule that can never fire (31 February)',
    spec({ schedule: '0 0 31 2 *' }),
    /spec.schedule: "0 0 31 2 \*" can never run.*pick a day that exists/,
  ],
  ['30 February', spec({ schedule: '0 0 30 2 *' }), /can never run/],
  [
    '@weekdays (not a Kubernetes macro)',
    spec({ schedule: '@weekdays' }),
    /spec.schedule: "@weekdays" is not a Kubernetes macro: write "0 0 \* \* 1-5"/,
  ],
  ['@minutely', spec({ schedule: '@minutely' }), /spec.schedule: "@minutely" is not a Kubernetes macro: write "\* \* \* \* \*"/],
  ['@reboot', spec({ schedule: '@reboot' }), /spec.schedule: "@reboot" has no meaning for a CronJob/],
  [
    '@every (drifts, cannot be previewed)',
    spec({ schedule: '@every 1h' }),
    /spec.schedule: "@every 1h" is not supported.*spec.interval: "1h"/,
  ],
  [
    'a lower-case time zone',
    spec({ schedule: '0 3 * * *', timeZone: 'europe/berlin' }),
    /spec.timeZone: unknown time zone "europe\/berlin": names are case-sensitive in Kubernetes, write "Europe\/Berlin"/,
  ],
  [
    'the Local time zone',
    spec({ schedule: '0 3 * * *', timeZone: 'Local' }),
    /spec.timeZone: "Local" .*Kubernetes refuses it: write an explicit IANA name/,
  ],
  [
    'an unknown time zone',
    spec({ schedule: '0 3 * * *', timeZone: 'Mars/Olympus_Mons' }),
    /spec.timeZone: unknown time zone "Mars\/Olympus_Mons": write an IANA name/,
  ],
  [
    'an interval that does not divide an hour or a day',
    spec({ interval: '7m' }),
    /spec.interval: "7m" does not divide an hour or a day evenly.*Intervals that work: 1m, 2m/,
  ],
  ['an interval in seconds', spec({ interval: '30s' }), /spec.interval: "30s" is not an interval: write a whole number of minutes/],
  [
    'a preset with an unknown frequency',
    spec({ preset: { frequency: 'fortnightly' } }),
    /spec.preset.frequency: must be one of "hourly", "daily", "weekdays", "weekly", "monthly"/,
  ],
  [
    'a preset time on a 12-hour clock',
    spec({ preset: { frequency: 'daily', at: '6:30pm' } }),
    /spec.preset.at: must be "HH:MM" on a 24-hour clock, e.g. "18:45"/,
  ],
  ['a preset dayOfWeek 7', spec({ preset: { frequency: 'weekly', dayOfWeek: 7 } }), /spec.preset.dayOfWeek: must be at most 6/],
  [
    'startingDeadlineSeconds under 10',
    spec({ schedule: '0 3 * * *', startingDeadlineSeconds: 5 }),
    /spec.startingDeadlineSeconds: must be at least 10/,
  ],
  ['runHistoryLimit over 100', spec({ schedule: '0 3 * * *', runHistoryLimit: 500 }), /spec.runHistoryLimit: must be at most 100/],
  ['a misspelled field', spec({ schedule: '0 3 * * *', timezone: 'UTC' }), /spec: unknown field "timezone": check the spelling/],
  ['a string where a boolean belongs', spec({ schedule: '0 3 * * *', suspend: 'yes' }), /spec.suspend: must be a boolean, not a string/],
  ['no jobTemplate', { schedule: '0 3 * * *' }, /spec.jobTemplate: is required/],
  ['a notify without url', spec({ schedule: '0 3 * * *', notify: { on: ['Failed'] } }), /spec.notify.url: is required/],
  [
    'a notify.on with an unknown result',
    spec({ schedule: '0 3 * * *', notify: { url: 'https://hooks.example/x', on: ['Crashed'] } }),
    /spec.notify.on.0: must be one of "Succeeded", "Failed"/,
  ],
];

describe('admit refuses invalid Schedules, naming the field and the fix', () => {
  it(`has at least 30 cases (${bad.length})`, () => expect(bad.length).toBeGreaterThanOrEqual(30));

  it.each(bad)('refuses %s', async (_name, s, message) => {
    const d = deps();
    const out = await admit(review(s), d);
    expect(out.response).toMatchObject({ uid: 'req-1', allowed: false, status: { code: 422, reason: 'Invalid' } });
    expect(out.response!.status!.message).toMatch(/^Schedule "team-a\/nightly" is invalid: /);
    expect(out.response!.status!.message).toMatch(message);
    expect(d.dryRuns).toHaveLength(0); // no API calls for a spec the rule book refuses
    expect(d.reviews).toHaveLength(0);
  });

  it('refuses an update too, when it changes spec into something invalid', async () => {
    const out = await admit(
      review(spec({ schedule: '0 0 31 2 *' }), { operation: 'UPDATE', oldSpec: spec({ schedule: '0 3 * * *' }) }),
      deps(),
    );
    expect(out.response!.allowed).toBe(false);
  });

  it("applies the operator's minimum interval", async () => {
    const out = await admit(review(spec({ interval: '5m' })), deps({ minIntervalMinutes: 15 }));
    expect(out.response!.status!.message).toMatch(
      /spec.interval: runs as often as every 5 minutes, but this operator allows at most one run every 15 minutes/,
    );
  });
});

describe('admit: the confused-deputy guard', () => {
  it('refuses a user who may not create Jobs in the namespace, saying what permission to ask for', async () => {
    const d = deps({ canCreateJobs: async () => ({ allowed: false, reason: '' }) });
    const out = await admit(review(spec({ schedule: '0 3 * * *' })), d);
    expect(out.response).toMatchObject({ allowed: false, status: { code: 403, reason: 'Forbidden' } });
    expect(out.response!.status!.message).toBe(
      'Schedule "team-a/nightly" is refused: user "alice" may not create Jobs in namespace "team-a", and a Schedule runs its spec.jobTemplate as Jobs there. ' +
        'Ask for permission to create jobs.batch in "team-a" (a Role with verbs [create] on jobs), or have someone who has it apply the Schedule',
    );
  });

  it("asks about the requesting user, with their groups, in the Schedule's namespace", async () => {
    const d = deps();
    await admit(review(spec({ schedule: '0 3 * * *' })), d);
    expect(d.reviews).toEqual([{ user: alice, namespace: 'team-a' }]);
  });

  it('refuses (fails closed) when the access review itself fails', async () => {
    const d = deps({ canCreateJobs: async () => ({ allowed: false, error: 'connect ECONNREFUSED' }) });
    const out = await admit(review(spec({ schedule: '0 3 * * *' })), d);
    expect(out.response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(out.response!.status!.message).toMatch(/could not check whether alice may create Jobs .*ECONNREFUSED/);
  });

  it('does not ask when the guard is off', async () => {
    const d = deps({ checkJobPermission: false, canCreateJobs: async () => ({ allowed: false }) });
    expect((await admit(review(spec({ schedule: '0 3 * * *' })), d)).response!.allowed).toBe(true);
  });
});

describe('admit: the server-side dry run', () => {
  it('dry-runs the CronJob the operator would apply: Forbid, the time zone, the effective schedule, the template', async () => {
    const d = deps();
    const out = await admit(review(spec({ preset: { frequency: 'weekdays', at: '18:45' }, timeZone: 'Europe/Berlin' })), d);
    expect(out.response!.allowed).toBe(true);
    expect(d.dryRuns).toHaveLength(1);
    const cj = d.dryRuns[0]!;
    expect(cj.metadata).toMatchObject({ namespace: 'team-a', generateName: 'schedule-admission-' });
    expect(cj.metadata.ownerReferences).toBeUndefined();
    expect(cj.spec).toMatchObject({ schedule: '45 18 * * 1-5', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid' });
    expect(cj.spec.jobTemplate.spec).toEqual(template.spec);
  });

  it("refuses a jobTemplate the API server refuses, in the API server's words", async () => {
    const d = deps({
      dryRunCronJob: async () => ({
        ok: false,
        invalid: true,
        causes: ['spec.jobTemplate.spec.template.spec.containers[0].image: Required value'],
      }),
    });
    const out = await admit(review(spec({ schedule: '0 3 * * *' })), d);
    expect(out.response).toMatchObject({ allowed: false, status: { code: 422, reason: 'Invalid' } });
    expect(out.response!.status!.message).toBe(
      'Schedule "team-a/nightly" is invalid: the API server refuses the CronJob it would run: spec.jobTemplate.spec.template.spec.containers[0].image: Required value; fix spec.jobTemplate (it is a batch/v1 JobTemplateSpec)',
    );
  });

  it('admits with a warning naming spec.expectSuccessWithin when it is shorter than the longest gap (a weekend)', async () => {
    const out = await admit(review(spec({ schedule: '0 2 * * 1-5', expectSuccessWithin: '25h' })), deps());
    expect(out.response!.allowed).toBe(true);
    expect(out.response!.warnings).toEqual([
      expect.stringMatching(
        /^spec\.expectSuccessWithin: "25h" is shorter than the longest gap between two runs \(3d, from Friday to Monday\)/,
      ),
    ]);
  });

  it('admits with a warning when the dry run could not be made (the operator reports problems in status)', async () => {
    const d = deps({ dryRunCronJob: async () => ({ ok: false, invalid: false, message: 'timeout' }) });
    const out = await admit(review(spec({ schedule: '0 3 * * *' })), d);
    expect(out.response!.allowed).toBe(true);
    expect(out.response!.warnings).toEqual([expect.stringMatching(/could not be checked by a server-side dry run \(timeout\)/)]);
  });
});

describe('admit: what is not judged', () => {
  const refuseAll = () =>
    deps({ dryRunCronJob: async () => ({ ok: false, invalid: true, causes: ['x'] }), canCreateJobs: async () => ({ allowed: false }) });

  it('admits an update that leaves spec and the request tokens alone (labels, other annotations), even from a user without Job rights', async () => {
    const s = spec({ schedule: '0 0 31 2 *' });
    const tokens = { [RUN]: 't1', [RESUME]: 'r1' };
    expect((await admit(review(s, { operation: 'UPDATE', oldSpec: structuredClone(s) }), refuseAll())).response!.allowed).toBe(true);
    const other = review(s, {
      operation: 'UPDATE',
      oldSpec: structuredClone(s),
      annotations: { ...tokens, note: 'x' },
      oldAnnotations: tokens,
    });
    expect((await admit(other, refuseAll())).response!.allowed).toBe(true);
  });

  it('admits a Schedule that is being deleted (finalizers must always be removable)', async () => {
    expect((await admit(review(spec({}), { operation: 'UPDATE', oldSpec: {}, deleting: true }), refuseAll())).response!.allowed).toBe(true);
  });

  it('admits DELETE and other kinds', async () => {
    expect((await admit(review(spec({}), { operation: 'DELETE' }), refuseAll())).response!.allowed).toBe(true);
    expect((await admit(review(spec({}), { kind: 'CronJob' }), refuseAll())).response!.allowed).toBe(true);
  });

  it('a valid Schedule from a permitted user is admitted without warnings', async () => {
    const out = await admit(review(spec({ interval: '15m' })), deps());
    expect(out).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'req-1', allowed: true } });
  });
});

describe('dryRunCronJobFor', () => {
  it('uses a generated name, so an update never collides with the existing CronJob', () => {
    const cj = dryRunCronJobFor(
      'ns',
      {
        jobTemplate: template,
        timeZone: 'UTC',
        suspend: false,
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        runHistoryLimit: 10,
      } as never,
      '0 3 * * *',
    );
    expect(cj.metadata.name).toBeUndefined();
    expect((cj.metadata as { generateName?: string }).generateName).toBe('schedule-admission-');
  });
});

const RUN = 'schedule-operator.io/run-requested-at';
const RESUME = 'schedule-operator.io/resume-requested-at';

describe('admit: run-now and resume tokens need the right to create Jobs (issue 9.2)', () => {
  const s = spec({ schedule: '0 3 * * *' });
  const update = (
    annotations: Record<string, string>,
    oldAnnotations: Record<string, string> = {},
    o: { oldSpec?: unknown; user?: UserInfo } = {},
  ) =>
    review(s, {
      operation: 'UPDATE',
      oldSpec: o.oldSpec ?? structuredClone(s),
      annotations,
      oldAnnotations,
      ...(o.user ? { user: o.user } : {}),
    });
  const noJobs = () => deps({ canCreateJobs: async () => ({ allowed: false }) });

  it('refuses a new run-now token from a user who may not create Jobs, naming the permission', async () => {
    const out = await admit(update({ [RUN]: '2026-12-01T15:00:00Z' }), noJobs());
    expect(out.response).toMatchObject({ allowed: false, status: { code: 403, reason: 'Forbidden' } });
    expect(out.response!.status!.message).toBe(
      `Schedule "team-a/nightly": setting metadata.annotations["${RUN}"] is refused: user "alice" may not create jobs in namespace "team-a": ` +
        'run-now starts a Job, so it needs the same right as kubectl create job --from=cronjob/nightly. ' +
        'Ask for permission to create jobs.batch in "team-a" (a Role with verbs [create] on jobs), or have someone who has it make the request',
    );
  });

  it('refuses a changed resume token the same way', async () => {
    const out = await admit(update({ [RESUME]: 'r2' }, { [RESUME]: 'r1' }), noJobs());
    expect(out.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(out.response!.status!.message).toMatch(
      /setting metadata.annotations\["schedule-operator.io\/resume-requested-at"\] is refused: user "alice" may not create jobs in namespace "team-a": resuming a paused Schedule lets it start Jobs again, so it needs the same right as kubectl create job --from=cronjob\/nightly/,
    );
  });

  it('asks the same SubjectAccessReview as for create, and admits a user who may create Jobs without a dry run (spec unchanged)', async () => {
    const d = deps();
    const out = await admit(update({ [RUN]: 't2' }, { [RUN]: 't1' }), d);
    expect(out.response).toEqual({ uid: 'req-1', allowed: true });
    expect(d.reviews).toEqual([{ user: alice, namespace: 'team-a' }]);
    expect(d.dryRuns).toHaveLength(0);
  });

  it('does not judge the old spec when only a token changes (an invalid stored spec does not block run-now)', async () => {
    const broken = spec({ schedule: '0 0 31 2 *' });
    const d = deps();
    const out = await admit(review(broken, { operation: 'UPDATE', oldSpec: structuredClone(broken), annotations: { [RUN]: 't1' } }), d);
    expect(out.response!.allowed).toBe(true);
    expect(d.reviews).toHaveLength(1);
  });

  it('needs nothing to remove a token, or to set it empty', async () => {
    for (const annotations of [{}, { [RUN]: '' }] as Array<Record<string, string>>) {
      const d = noJobs();
      expect((await admit(update(annotations, { [RUN]: 't1', [RESUME]: 'r1' }), d)).response!.allowed).toBe(true);
    }
  });

  it('a CREATE that carries a token needs the same right (the create review covers it)', async () => {
    const out = await admit(review(s, { annotations: { [RUN]: 't1' } }), noJobs());
    expect(out.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(out.response!.status!.message).toMatch(/user "alice" may not create Jobs in namespace "team-a"/);
  });

  it('a spec change together with a token is refused as a run request', async () => {
    const out = await admit(update({ [RUN]: 't1' }, {}, { oldSpec: spec({ schedule: '0 4 * * *' }) }), noJobs());
    expect(out.response!.status!.message).toMatch(/setting metadata.annotations\["schedule-operator.io\/run-requested-at"\] is refused/);
  });

  it('does not ask when the guard is off', async () => {
    const d = deps({ checkJobPermission: false, canCreateJobs: async () => ({ allowed: false }) });
    expect((await admit(update({ [RUN]: 't1' }), d)).response!.allowed).toBe(true);
  });

  it('fails closed when the review fails', async () => {
    const out = await admit(update({ [RUN]: 't1' }), deps({ canCreateJobs: async () => ({ allowed: false, error: 'timeout' }) }));
    expect(out.response).toMatchObject({ allowed: false, status: { code: 500 } });
  });
});

describe('admit: bad tokens are refused with the annotation and the fix', () => {
  const s = spec({ schedule: '0 3 * * *' });
  it.each([
    [
      'a 10 KiB run-now token',
      RUN,
      'x'.repeat(10 * 1024),
      /metadata.annotations\["schedule-operator.io\/run-requested-at"\]: the token is 10240 characters long; a token is at most 253 printable characters: set it to a new, short value such as the current time in RFC 3339 \(`schedule-operator run <name>` does that\)/,
    ],
    [
      'a token with a newline',
      RUN,
      'now\nforged log line',
      /run-requested-at"\]: the token contains the unprintable character U\+000A at position 3; a token is at most 253 printable characters/,
    ],
    ['a token with NUL', RUN, 'a\u0000b', /U\+0000 at position 1/],
    ['a token with ESC (terminal escape)', RUN, '\u001b[31mred', /U\+001B at position 0/],
    ['a token with a bidi override', RUN, 'abc\u202Edef', /U\+202E/],
    [
      'a 10 KiB resume token',
      RESUME,
      'r'.repeat(10 * 1024),
      /resume-requested-at"\]: the token is 10240 characters long; .*`schedule-operator resume <name>`/,
    ],
    ['a resume token with a tab', RESUME, 'a\tb', /resume-requested-at"\]: the token contains the unprintable character U\+0009/],
  ])('refuses %s (before asking anything)', async (_what, annotation, token, message) => {
    const d = deps();
    const out = await admit(review(s, { operation: 'UPDATE', oldSpec: structuredClone(s), annotations: { [annotation]: token } }), d);
    expect(out.response).toMatchObject({ allowed: false, status: { code: 422, reason: 'Invalid' } });
    expect(out.response!.status!.message).toMatch(/^Schedule "team-a\/nightly" is invalid: /);
    expect(out.response!.status!.message).toMatch(message);
    expect(out.response!.status!.message).not.toContain(token.slice(0, 300)); // never echoed
    expect(d.reviews).toHaveLength(0);
  });

  it('admits 253 printable characters, spaces and non-ASCII letters included', async () => {
    for (const token of ['2026-12-01T15:00:00Z', 'y'.repeat(253), 'déploiement du 1er décembre', '🚀'.repeat(253)]) {
      expect((await admit(review(s, { annotations: { [RUN]: token } }), deps())).response!.allowed).toBe(true);
    }
  });

  it('names token and spec problems together on create', async () => {
    const out = await admit(review(spec({ schedule: '0 0 31 2 *' }), { annotations: { [RUN]: 'a\nb' } }), deps());
    expect(out.response!.status!.message).toMatch(/run-requested-at"\]: the token contains .*; spec.schedule: "0 0 31 2 \*" can never run/);
  });

  it('does not judge a bad token that is already there (an unrelated update is not blocked)', async () => {
    const bad = { [RUN]: 'x'.repeat(10 * 1024) };
    const out = await admit(
      review(spec({ schedule: '0 4 * * *' }), { operation: 'UPDATE', oldSpec: s, annotations: bad, oldAnnotations: bad }),
      deps(),
    );
    expect(out.response!.allowed).toBe(true);
  });
});
