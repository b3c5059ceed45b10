// Run now against the real control plane: a new token starts exactly one Job, the same token nothing,
// a token while a run is active is refused and says why (status and Event); `schedule-operator run` works.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd } from '../support/env.js';
import { eventually, jobsPath, schedulesPath, testKube, type TestKube } from '../support/kube.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, installLedgerPolicy, requestRun, waitCounted, waitHandled, waitReady } from './ledger-helpers.js';

let kubeconfig: string;
let kube: TestKube;
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;
let removePolicy: () => Promise<void>;

beforeAll(async () => {
  kubeconfig = clusterKubeconfig();
  kube = testKube(kubeconfig);
  await installCrd(kube);
  ns = await createNamespace(kube, 'run-now');
  removePolicy = await installLedgerPolicy(kube, ns.name);
  operator = await startOperator({ kubeconfig, args: [`--watch-namespaces=${ns.name}`, `--leader-election-namespace=${ns.name}`, '--resync-period=5s'], env: { LOG_LEVEL: 'info' } });
  await operator.waitReady();
});

afterAll(async () => {
  await operator?.stop();
  await removePolicy?.();
  await ns?.remove();
});

const jobsOf = async (name: string) => ((await kube.get(jobsPath(ns.name))).items as any[]).filter((j) => j.metadata.labels['schedule-operator.io/schedule'] === name);

describe('run now', () => {
  it('starts one Job for a new token and none for the same token again', async () => {
    await applySchedule(kube, ns.name, 'once', {});
    await waitReady(kube, ns.name, 'once');
    await requestRun(kube, ns.name, 'once', 't1');
    const s = await waitHandled(kube, ns.name, 'once', 't1');
    expect(s.status.lastRunRequest).toMatchObject({ token: 't1', outcome: 'Started' });
    const jobs = await jobsOf('once');
    expect(jobs.map((j) => j.metadata.name)).toEqual([s.status.lastRunRequest.jobName]);
    expect(jobs[0].metadata.labels['schedule-operator.io/trigger']).toBe('Manual');
    expect(jobs[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'CronJob', name: 'once', controller: true });
    await waitCounted(kube, ns.name, 'once', 1);
    // Re-applying the same token (GitOps) and a few resyncs later: still one Job, one run.
    await requestRun(kube, ns.name, 'once', 't1');
    await applySchedule(kube, ns.name, 'once', { runHistoryLimit: 5 });
    await new Promise((r) => setTimeout(r, 6000));
    expect((await jobsOf('once')).length).toBe(1);
    const after = await kube.get(schedulesPath(ns.name, 'once'));
    expect(after.status.runs).toMatchObject({ total: 1, manual: 1 });
  });

  it('refuses a token while a run is active and records why in status and an Event', async () => {
    // A Job that never finishes: its pod is never scheduled.
    await applySchedule(kube, ns.name, 'busy', {
      jobTemplate: { spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', nodeSelector: { nowhere: 'true' }, containers: [{ name: 'main', image: 'busybox:1.36' }] } } } },
    });
    await waitReady(kube, ns.name, 'busy');
    await requestRun(kube, ns.name, 'busy', 'first');
    const first = await waitHandled(kube, ns.name, 'busy', 'first');
    expect(first.status.lastRunRequest.outcome).toBe('Started');
    await requestRun(kube, ns.name, 'busy', 'second');
    const s = await waitHandled(kube, ns.name, 'busy', 'second');
    expect(s.status.lastRunRequest).toMatchObject({ token: 'second', outcome: 'Refused', reason: 'RunActive' });
    expect(s.status.lastRunRequest.message).toContain(first.status.lastRunRequest.jobName);
    expect((await jobsOf('busy')).length).toBe(1);
    const events = await eventually('a RunRefused event', async () => {
      const list = await kube.get(`/api/v1/namespaces/${ns.name}/events`);
      return list.items.filter((e: any) => e.reason === 'RunRefused' && e.involvedObject.name === 'busy');
    });
    expect(events[0].type).toBe('Warning');
  });

  it('`schedule-operator run NAME` sets the annotation and the operator starts the run', async () => {
    await applySchedule(kube, ns.name, 'cli', {});
    await waitReady(kube, ns.name, 'cli');
    const bin = fileURLToPath(new URL('../../bin/schedule-operator', import.meta.url));
    const out = spawnSync(process.execPath, [bin, 'run', 'cli', '-n', ns.name], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const token = (await kube.get(schedulesPath(ns.name, 'cli'))).metadata.annotations['schedule-operator.io/run-requested-at'];
    const s = await waitHandled(kube, ns.name, 'cli', token);
    expect(s.status.lastRunRequest.outcome).toBe('Started');
    await waitCounted(kube, ns.name, 'cli', 1);
  });

  it('leaves no Job and no finalizer behind when the Schedules are deleted (a running Job included)', async () => {
    for (const name of ['once', 'busy', 'cli']) await deleteSchedule(kube, ns.name, name);
    await expectNoJobsLeft(kube, ns.name);
  });
});
