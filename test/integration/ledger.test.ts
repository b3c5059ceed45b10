// The run ledger against the real control plane: every Job counted exactly once although the CronJob's
// history limits delete most of them, also when they finish and are deleted while the operator is down;
// and no finalizer left behind when Schedules go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath } from '../support/kube.js';
import {
  applySchedule,
  deleteSchedule,
  expectNoJobsLeft,
  expectRunsEqual,
  jobFromCronJob,
  JobWatch,
  requestRun,
  waitCounted,
  waitHandled,
  waitReady,
} from './ledger-helpers.js';

const env = useOperatorNamespace('ledger', {
  ledgerPolicy: true,
  fastLeaderElection: true,
  env: { ALLOW_PRIVATE_CALLBACK_TARGETS: 'true', LOG_LEVEL: 'info' },
  startOperator: false,
});
let watch: JobWatch;

beforeAll(async () => {
  watch = new JobWatch(env.kubeconfig, env.ns);
  await watch.start();
  await env.start();
});

afterAll(() => watch?.stop());

async function metricSum(name: string, match: string): Promise<number> {
  const text = await (await fetch(env.operator!.metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** createJobFromCronJob does what `kubectl create job --from=cronjob/<name>` does. */
async function createJobFromCronJob(name: string, suffix: string): Promise<any> {
  const cj = await env.kube.get(cronJobsPath(env.ns, name));
  return env.kube.create(jobsPath(env.ns), jobFromCronJob(cj, `${name}-${suffix}`));
}

describe('the run ledger', () => {
  it('counts 50 runs with mixed results exactly once although successfulJobsHistoryLimit 1 deletes most Jobs', async () => {
    const name = 'many';
    const limits = { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 };
    let failing = false;
    await applySchedule(env.kube, env.ns, name, limits);
    await waitReady(env.kube, env.ns, name);
    const started = Date.now();
    for (let i = 1; i <= 50; i++) {
      if (i % 5 === 1 && i > 1) {
        failing = !failing; // 5 succeed, 5 fail, ...
        await applySchedule(env.kube, env.ns, name, limits, { fail: failing });
        await waitReady(env.kube, env.ns, name);
      }
      const token = `run-${i}`;
      await requestRun(env.kube, env.ns, name, token);
      const s = await waitHandled(env.kube, env.ns, name, token);
      expect(s.status.lastRunRequest).toMatchObject({ token, outcome: 'Started' });
      await waitCounted(env.kube, env.ns, name, i);
    }
    console.log(`50 run-now runs counted in ${Date.now() - started} ms`);
    const truth = watch.truth(name);
    expect(truth.total).toBe(50);
    const s = await env.kube.get(schedulesPath(env.ns, name));
    expectRunsEqual(s.status.runs, truth);
    expect(truth.failed).toBe(25);
    expect(truth.deleted).toBeGreaterThanOrEqual(40); // the history limits removed most of them ...
    expect(s.status.countedJobs.length).toBeLessThanOrEqual(4); // ... and the ledger forgot them
    expect(await metricSum('schedule_operator_runs_total', `schedule="${name}"`)).toBe(50);
    // Still exactly once a few resyncs later.
    await new Promise((r) => setTimeout(r, 6000));
    expect((await env.kube.get(schedulesPath(env.ns, name))).status.runs.total).toBe(50);
  });

  it('counts runs that finished and were deleted while the operator was down', async () => {
    const name = 'down';
    await applySchedule(env.kube, env.ns, name, { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    await waitReady(env.kube, env.ns, name);
    await env.stop('SIGKILL');
    for (let i = 1; i <= 4; i++) {
      await createJobFromCronJob(name, `offline-${i}`);
      await eventually(`Job offline-${i} to finish`, async () => watch.truth(name).total === i, 30_000, 100);
    }
    // The CronJob controller deleted the older three; the finalizer holds them until they are counted.
    await eventually(
      'the history limit to delete 3 Jobs',
      async () => {
        const list = await env.kube.get(jobsPath(env.ns));
        return (
          list.items.filter((j: any) => j.metadata.labels['schedule-operator.io/schedule'] === name && j.metadata.deletionTimestamp)
            .length === 3
        );
      },
      30_000,
      200,
    );
    await env.start();
    const s = await waitCounted(env.kube, env.ns, name, 4);
    expect(s.status.runs).toEqual({ total: 4, succeeded: 4, failed: 0, manual: 4, missed: 0, skipped: 0 });
    await eventually('the 3 deleted Jobs to be gone', async () => watch.truth(name).deleted === 3, 30_000, 200);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await env.kube.get(schedulesPath(env.ns, name))).status.runs.total).toBe(4);
  });

  it('leaves no finalizer behind when the Schedules are deleted', async () => {
    for (const name of ['many', 'down']) await deleteSchedule(env.kube, env.ns, name);
    await expectNoJobsLeft(env.kube, env.ns);
  });
});
