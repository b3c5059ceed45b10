// A CronJob the operator did not make, with a Schedule's name: the operator must not take it over
// (server-side apply with force would), but report CronJobNotOwned - and take the name once it is free.
import { describe, expect, it } from 'vitest';
import { readyCondition, scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, schedulesPath } from '../support/kube.js';

// The operator's default resync (10m), so only the deletion itself can bring our CronJob back in time.
const env = useOperatorNamespace('foreign', { resyncPeriod: '10m', args: ['--leader-elect=false'] });

describe("a CronJob with the Schedule's name that someone else made", () => {
  it('is left alone and reported as CronJobNotOwned, and replaced by ours as soon as it is deleted', async () => {
    await env.kube.create(cronJobsPath(env.ns), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'taken', namespace: env.ns },
      spec: {
        schedule: '1 1 * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
    });
    await env.kube.apply(schedulesPath(env.ns, 'taken'), scheduleManifest(env.ns, 'taken', { schedule: '5 5 * * *' }));
    const s = await eventually(
      'CronJobNotOwned',
      async () => {
        const got = await env.kube.get(schedulesPath(env.ns, 'taken'));
        return readyCondition(got)?.reason === 'CronJobNotOwned' ? got : undefined;
      },
      30_000,
    );
    expect(readyCondition(s).status).toBe('False');
    const theirs = await env.kube.get(cronJobsPath(env.ns, 'taken'));
    expect(theirs.spec.schedule).toBe('1 1 * * *');
    expect(theirs.metadata.ownerReferences).toBeUndefined();

    await env.kube.remove(cronJobsPath(env.ns, 'taken'));
    const ours = await eventually(
      'our CronJob in its place',
      async () => {
        const cj = await env.kube.get(cronJobsPath(env.ns, 'taken'));
        return cj?.metadata.ownerReferences?.[0]?.uid === s.metadata.uid ? cj : undefined;
      },
      15_000,
    ); // well before a resync (10 min): the deletion itself re-triggers the Schedule
    expect(ours.spec.schedule).toBe('5 5 * * *');
  });
});
