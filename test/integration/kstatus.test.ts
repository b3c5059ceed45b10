// Schedules the real operator produced, read by kstatus (sigs.k8s.io/cli-utils/pkg/kstatus), the library
// Flux, kpt and cli-utils compute health with: Current when reconciled, Failed when a person must act
// (InvalidSpec, CronJobNotOwned: Stalled=True), InProgress while a new generation is not yet observed.
import { describe, expect, it } from 'vitest';
import { kstatus } from '../kstatus/kstatus.js';
import { scheduleManifest } from '../support/env.js';
import { useOperatorNamespace } from '../support/harness.js';
import { cronJobsPath, eventually, schedulesPath } from '../support/kube.js';

const env = useOperatorNamespace('kstatus', { args: ['--leader-elect=false'] });

const apply = (name: string, spec: Record<string, unknown>) =>
  env.kube.apply(schedulesPath(env.ns, name), scheduleManifest(env.ns, name, spec));

/** verdict waits until kstatus says `want` for the Schedule and returns kstatus' answer. */
async function verdict(name: string, want: string) {
  let last: unknown;
  return eventually(
    `kstatus ${want} for Schedule ${name}`,
    async () => {
      const [answer] = kstatus([await env.kube.get(schedulesPath(env.ns, name))]);
      last = answer;
      return answer?.status === want ? answer : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
  });
}

describe('kstatus reads the Schedules the operator writes', () => {
  it('a reconciled Schedule is Current', async () => {
    await apply('fine', { schedule: '7 7 * * *' });
    expect((await verdict('fine', 'Current')).message).toBe('Resource is current');
  });

  it('an invalid spec (webhook bypassed) is Failed, with the field in the message', async () => {
    await apply('broken', { interval: '7m' });
    expect((await verdict('broken', 'Failed')).message).toContain('spec.interval');
  });

  it('a CronJob of another owner holding the name is Failed', async () => {
    await env.kube.create(cronJobsPath(env.ns), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'squatted', namespace: env.ns },
      spec: {
        schedule: '1 1 * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
    });
    await apply('squatted', { schedule: '5 5 * * *' });
    expect((await verdict('squatted', 'Failed')).message).toContain('not owned');
  });

  it('an edit the operator has not observed yet is InProgress, and Current once it has', async () => {
    await apply('edited', { schedule: '9 9 * * *' });
    await verdict('edited', 'Current');
    await env.stop();
    await apply('edited', { schedule: '10 10 * * *' });
    expect((await verdict('edited', 'InProgress')).message).toContain('generation is 2');
    await env.start();
    await verdict('edited', 'Current');
    const s = await env.kube.get(schedulesPath(env.ns, 'edited'));
    expect(s.status.effectiveSchedule).toBe('10 10 * * *');
  });
});
