// Chaos for the ledger: while Jobs of several Schedules keep finishing (and the history limits keep
// deleting them), the operator is SIGKILLed at random moments and restarted, several times. In the end
// the counters must equal the truth, observed independently by a watch: nothing counted twice, nothing
// lost; and once the Schedules are deleted no Job is left (no finalizer stuck).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath } from '../support/kube.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, expectRunsEqual, jobFromCronJob, JobWatch, waitReady } from './ledger-helpers.js';

const SCHEDULES = ['chaos-a', 'chaos-b', 'chaos-c'];
const KILLS = 6;

const env = useOperatorNamespace('chaos', {
  ledgerPolicy: true,
  fastLeaderElection: true,
  env: { LOG_LEVEL: 'info' },
  startOperator: false,
});
let watch: JobWatch;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

beforeAll(async () => {
  watch = new JobWatch(env.kubeconfig, env.ns);
  await watch.start();
  await env.start();
});

afterAll(() => watch?.stop());

/** driver keeps one Job of a Schedule running at a time, created as `kubectl create job --from` does. */
async function driver(name: string, until: () => boolean): Promise<number> {
  const cj = await env.kube.get(cronJobsPath(env.ns, name));
  let n = 0;
  while (!until()) {
    n++;
    const job = await env.kube.create(jobsPath(env.ns), jobFromCronJob(cj, `${name}-${n}`));
    await eventually(`Job ${name}-${n} to finish`, async () => watch.jobs.get(job.metadata.uid)?.result, 60_000, 100);
  }
  return n;
}

describe('the ledger under chaos', () => {
  it(`counts every run exactly once while the operator is SIGKILLed ${KILLS} times`, async () => {
    for (const [i, name] of SCHEDULES.entries()) {
      await applySchedule(env.kube, env.ns, name, { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }, { fail: i === 1 });
    }
    for (const name of SCHEDULES) await waitReady(env.kube, env.ns, name);

    let stop = false;
    const drivers = SCHEDULES.map((name) => driver(name, () => stop));
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      await sleep(between(1000, 4000));
      await env.stop('SIGKILL');
      const down = between(200, 2500);
      kills.push(`kill ${k + 1} after ${watch.jobs.size} Jobs, down ${Math.round(down)} ms`);
      await sleep(down);
      await env.start({ waitReady: false });
    }
    await sleep(between(500, 2000));
    stop = true;
    const created = await Promise.all(drivers);
    await env.operator!.waitReady();

    for (const name of SCHEDULES) {
      await eventually(
        `${name} to count every run`,
        async () => {
          const s = await env.kube.get(schedulesPath(env.ns, name));
          return s?.status?.runs?.total === watch.truth(name).total;
        },
        60_000,
        200,
      );
    }
    await sleep(6000); // a resync later, nothing changes
    const report: string[] = [];
    for (const [i, name] of SCHEDULES.entries()) {
      const truth = watch.truth(name);
      const s = await env.kube.get(schedulesPath(env.ns, name));
      report.push(`${name}: created ${created[i]}, truth ${JSON.stringify(truth)}, counted ${JSON.stringify(s.status.runs)}`);
      expectRunsEqual(s.status.runs, truth);
      expect(truth.total).toBe(created[i]);
    }
    console.log(['chaos:', ...kills, ...report].join('\n'));
    const deletedByHistory = SCHEDULES.reduce((a, name) => a + watch.truth(name).deleted, 0);
    expect(deletedByHistory).toBeGreaterThan(SCHEDULES.length * 3);
  });

  it('leaves no Job behind when the Schedules are deleted', async () => {
    for (const name of SCHEDULES) await deleteSchedule(env.kube, env.ns, name);
    await expectNoJobsLeft(env.kube, env.ns);
  });
});
