// Run now against the real control plane: a new token starts exactly one Job, the same token nothing,
// a token while a run is active is refused and says why (status and Event), a running manual Job holds off
// scheduled runs (the CronJob's own Forbid), `schedule-operator run` works.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, jobsPath, schedulesPath } from '../support/kube.js';
import { applySchedule, deleteSchedule, expectNoJobsLeft, requestRun, waitCounted, waitHandled, waitReady } from './ledger-helpers.js';

const env = useOperatorNamespace('run-now', { ledgerPolicy: true, env: { LOG_LEVEL: 'info' } });

/** neverFinishes: a jobTemplate whose Job never finishes (its pod is never scheduled), so a run stays active. */
const neverFinishes = {
  spec: {
    backoffLimit: 0,
    template: {
      spec: { restartPolicy: 'Never', nodeSelector: { nowhere: 'true' }, containers: [{ name: 'main', image: 'busybox:1.36' }] },
    },
  },
};

const jobsOf = async (name: string) =>
  ((await env.kube.get(jobsPath(env.ns))).items as any[]).filter((j) => j.metadata.labels['schedule-operator.io/schedule'] === name);

describe('run now', () => {
  it('starts one Job for a new token and none for the same token again', async () => {
    await applySchedule(env.kube, env.ns, 'once', {});
    await waitReady(env.kube, env.ns, 'once');
    await requestRun(env.kube, env.ns, 'once', 't1');
    const s = await waitHandled(env.kube, env.ns, 'once', 't1');
    expect(s.status.lastRunRequest).toMatchObject({ token: 't1', outcome: 'Started' });
    const jobs = await jobsOf('once');
    expect(jobs.map((j) => j.metadata.name)).toEqual([s.status.lastRunRequest.jobName]);
    expect(jobs[0].metadata.labels['schedule-operator.io/trigger']).toBe('Manual');
    expect(jobs[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'CronJob', name: 'once', controller: true });
    await waitCounted(env.kube, env.ns, 'once', 1);
    // Re-applying the same token (GitOps) and a few resyncs later: still one Job, one run.
    await requestRun(env.kube, env.ns, 'once', 't1');
    await applySchedule(env.kube, env.ns, 'once', { runHistoryLimit: 5 });
    await new Promise((r) => setTimeout(r, 6000));
    expect((await jobsOf('once')).length).toBe(1);
    const after = await env.kube.get(schedulesPath(env.ns, 'once'));
    expect(after.status.runs).toMatchObject({ total: 1, manual: 1 });
  });

  it('refuses a token while a run is active and records why in status and an Event', async () => {
    await applySchedule(env.kube, env.ns, 'busy', { jobTemplate: neverFinishes });
    await waitReady(env.kube, env.ns, 'busy');
    await requestRun(env.kube, env.ns, 'busy', 'first');
    const first = await waitHandled(env.kube, env.ns, 'busy', 'first');
    expect(first.status.lastRunRequest.outcome).toBe('Started');
    await requestRun(env.kube, env.ns, 'busy', 'second');
    const s = await waitHandled(env.kube, env.ns, 'busy', 'second');
    expect(s.status.lastRunRequest).toMatchObject({ token: 'second', outcome: 'Refused', reason: 'RunActive' });
    expect(s.status.lastRunRequest.message).toContain(first.status.lastRunRequest.jobName);
    expect((await jobsOf('busy')).length).toBe(1);
    const events = await eventually('a RunRefused event', async () => {
      const list = await env.kube.get(`/api/v1/namespaces/${env.ns}/events`);
      return list.items.filter((e: any) => e.reason === 'RunRefused' && e.involvedObject.name === 'busy');
    });
    expect(events[0].type).toBe('Warning');
  });

  it('keeps the CronJob from starting a scheduled run while a manual run is active (Forbid covers manual runs too)', async () => {
    // Begin early in a minute, so the manual run is in place before the next slot.
    const second = new Date().getUTCSeconds();
    if (second > 30) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    await applySchedule(env.kube, env.ns, 'overlap', { schedule: '* * * * *', jobTemplate: neverFinishes });
    await waitReady(env.kube, env.ns, 'overlap');
    await requestRun(env.kube, env.ns, 'overlap', 'manual-1');
    const manualName = (await waitHandled(env.kube, env.ns, 'overlap', 'manual-1')).status.lastRunRequest.jobName;
    await eventually(
      "the manual Job in the CronJob's status.active",
      async () => {
        const cj = await env.kube.get(cronJobsPath(env.ns, 'overlap'));
        return cj?.status?.active?.some((a: any) => a.name === manualName);
      },
      15_000,
    );
    // At the next minute the CronJob controller itself declines the slot.
    await eventually(
      'JobAlreadyActive from the CronJob controller',
      async () => {
        const list = await env.kube.get(`/api/v1/namespaces/${env.ns}/events`);
        return list.items.some(
          (e: any) => e.reason === 'JobAlreadyActive' && e.involvedObject.kind === 'CronJob' && e.involvedObject.name === 'overlap',
        );
      },
      90_000,
      1000,
    );
    expect((await jobsOf('overlap')).map((j) => j.metadata.name)).toEqual([manualName]);
  });

  it('`schedule-operator run NAME` sets the annotation and the operator starts the run', async () => {
    await applySchedule(env.kube, env.ns, 'cli', {});
    await waitReady(env.kube, env.ns, 'cli');
    const bin = fileURLToPath(new URL('../../bin/schedule-operator', import.meta.url));
    const out = spawnSync(process.execPath, [bin, 'run', 'cli', '-n', env.ns], {
      env: { ...process.env, KUBECONFIG: env.kubeconfig },
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).toBe(0);
    const token = (await env.kube.get(schedulesPath(env.ns, 'cli'))).metadata.annotations['schedule-operator.io/run-requested-at'];
    const s = await waitHandled(env.kube, env.ns, 'cli', token);
    expect(s.status.lastRunRequest.outcome).toBe('Started');
    await waitCounted(env.kube, env.ns, 'cli', 1);
  });

  it('refuses a 10 KiB token or one with control characters that bypassed the webhook (status, Event), and keeps serving other Schedules', async () => {
    // No webhook in this file: the operator alone must cope (issue 9, bad input).
    await applySchedule(env.kube, env.ns, 'bad-token', {});
    await applySchedule(env.kube, env.ns, 'neighbour', {});
    await waitReady(env.kube, env.ns, 'bad-token');
    await waitReady(env.kube, env.ns, 'neighbour');
    let neighbourRuns = 0;
    for (const [token, says] of [
      ['x'.repeat(10 * 1024), 'the token is 10240 characters long'],
      ['now\u0000\nforged', 'unprintable character U+0000'],
    ] as const) {
      await requestRun(env.kube, env.ns, 'bad-token', token);
      const s = await eventually(
        `the bad token refused (${says})`,
        async () => {
          const got = await env.kube.get(schedulesPath(env.ns, 'bad-token'));
          return got.status?.lastRunRequest?.message?.includes(says) ? got : undefined;
        },
        30_000,
        100,
      );
      expect(s.status.lastRunRequest).toMatchObject({
        outcome: 'Refused',
        reason: 'InvalidToken',
        token: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      expect(s.status.lastHandledRunRequest).toBe(s.status.lastRunRequest.token);
      expect(s.status.lastRunRequest.message).toContain('metadata.annotations["schedule-operator.io/run-requested-at"]');
      expect(s.status.lastRunRequest.message).toContain('at most 253 printable characters');
      expect(JSON.stringify(s.status)).not.toContain(token);
      const events = await eventually('a RunRefused event for the bad token', async () => {
        const list = await env.kube.get(`/api/v1/namespaces/${env.ns}/events`);
        const found = list.items.filter(
          (e: any) => e.reason === 'RunRefused' && e.involvedObject.name === 'bad-token' && e.message.includes(says),
        );
        return found.length ? found : undefined;
      });
      expect(events[0].type).toBe('Warning');
      // The neighbour's run request is served meanwhile; the bad one started nothing.
      const t = `ok-${says.length}`;
      await requestRun(env.kube, env.ns, 'neighbour', t);
      expect((await waitHandled(env.kube, env.ns, 'neighbour', t)).status.lastRunRequest.outcome).toBe('Started');
      await waitCounted(env.kube, env.ns, 'neighbour', ++neighbourRuns); // finished, so the next request is not RunActive
      expect(await jobsOf('bad-token')).toEqual([]);
    }
    // A good token afterwards runs as usual; the operator never restarted.
    await requestRun(env.kube, env.ns, 'bad-token', 'good-1');
    expect((await waitHandled(env.kube, env.ns, 'bad-token', 'good-1')).status.lastRunRequest.outcome).toBe('Started');
    expect(env.operator?.child.exitCode).toBeNull();
  });

  it('leaves no Job and no finalizer behind when the Schedules are deleted (a running Job included)', async () => {
    for (const name of ['once', 'busy', 'overlap', 'cli', 'bad-token', 'neighbour']) await deleteSchedule(env.kube, env.ns, name);
    await expectNoJobsLeft(env.kube, env.ns);
  });
});
