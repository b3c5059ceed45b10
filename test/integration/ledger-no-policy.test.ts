// Without the admission policy (docs/ledger.md): the operator itself puts the ledger finalizer on a running Job
// it did not create, counts it when it finishes, and lets go of a Job deleted while it runs.
import { describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath } from '../support/kube.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, jobFromCronJob, waitCounted, waitReady } from './ledger-helpers.js';

const env = useOperatorNamespace('ledger-nopol', { env: { LOG_LEVEL: 'info' } });

async function createJob(name: string, suffix: string, podSpec?: Record<string, unknown>): Promise<any> {
  const cj = await env.kube.get(cronJobsPath(env.ns, name));
  return env.kube.create(jobsPath(env.ns), jobFromCronJob(cj, `${name}-${suffix}`, { manual: false, podSpec }));
}

describe('the ledger without the admission policy', () => {
  it('adds the finalizer to a running Job, and releases it uncounted when the Job is deleted while running', async () => {
    await applySchedule(env.kube, env.ns, 'plain', {});
    await waitReady(env.kube, env.ns, 'plain');
    const job = await createJob('plain', 'stuck', { nodeSelector: { nowhere: 'true' } }); // never scheduled: runs forever
    expect(job.metadata.finalizers ?? []).toEqual([]);
    await eventually(
      'the operator to add the ledger finalizer',
      async () => {
        const j = await env.kube.get(jobsPath(env.ns, job.metadata.name));
        return j?.metadata.finalizers?.includes('schedule-operator.io/ledger');
      },
      15_000,
      100,
    );
    await env.kube.rest.request('DELETE', jobsPath(env.ns, job.metadata.name));
    await eventually(
      'the deleted running Job to be gone',
      async () => !(await env.kube.get(jobsPath(env.ns, job.metadata.name))),
      15_000,
      100,
    );
  });

  it('counts a Job it did not create once it finishes', async () => {
    await createJob('plain', 'done');
    const s = await waitCounted(env.kube, env.ns, 'plain', 1, 30_000);
    expect(s.status.runs).toMatchObject({ total: 1, succeeded: 1 });
  });

  it('leaves no Job behind when the Schedule is deleted', async () => {
    await deleteSchedule(env.kube, env.ns, 'plain');
    await expectNoJobsLeft(env.kube, env.ns);
  });
});
