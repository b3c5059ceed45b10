// What slot accounting costs in API writes, on a real control plane: an every-minute Schedule whose runs all run
// (about a second each) for three slots. Each slot that ran is decided in a status write the run causes anyway, so no
// status write may change only what slot accounting keeps, and no slot Event is emitted. Printed: the operator's
// schedule_operator_api_writes_total per run, by resource.
import { afterAll, describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { eventually, schedulesPath } from '../support/kube.js';
import { applySchedule } from './ledger-helpers.js';
import { metric, ScheduleVersions, sleep } from './slots-helpers.js';

const env = useOperatorNamespace('slots-writes', { ledgerPolicy: true, resyncPeriod: '10m' });
const NAME = 'quick';
let versions: ScheduleVersions | undefined;
afterAll(() => versions?.stop());

const writes = async () => ({
  status: (await metric(env.operator!, 'schedule_operator_api_writes_total', { resource: 'schedules/status' })) ?? 0,
  events: (await metric(env.operator!, 'schedule_operator_api_writes_total', { resource: 'events' })) ?? 0,
  jobs: (await metric(env.operator!, 'schedule_operator_api_writes_total', { resource: 'jobs' })) ?? 0,
});

describe('API writes of slot accounting', () => {
  it('no status write of its own and no Event for slots that ran', async () => {
    const sec = new Date().getUTCSeconds();
    if (sec < 45 || sec > 52) await sleep(((45 - sec + 60) % 60) * 1000);
    versions = new ScheduleVersions(env.kubeconfig, env.ns, NAME);
    await versions.start();
    await applySchedule(env.kube, env.ns, NAME, { schedule: '* * * * *' });
    const first = await eventually(
      'the first run counted',
      async () => ((await env.kube.get(schedulesPath(env.ns, NAME)))?.status?.runs?.total ?? 0) >= 1,
      80_000,
      250,
    );
    expect(first).toBe(true);
    const before = await writes();
    const s = await eventually(
      'three more runs counted and their slots decided',
      async () => {
        const got = await env.kube.get(schedulesPath(env.ns, NAME));
        return (got?.status?.runs?.total ?? 0) >= 4 ? got : undefined;
      },
      200_000,
      250,
    );
    await sleep(2000);
    const after = await writes();
    const w = versions.writes();
    const runs = 3;
    console.log(
      [
        `slots-writes: ${runs} runs (slots ${s.status.slots.watermark} and the two before), status.runs ${JSON.stringify(s.status.runs)}`,
        `  per run: ${((after.status - before.status) / runs).toFixed(2)} status writes, ${((after.jobs - before.jobs) / runs).toFixed(2)} Job patches, ${((after.events - before.events) / runs).toFixed(2)} Events`,
        `  all status versions: ${w.statusWrites} writes, of them for slot accounting alone: ${w.slotOnly}`,
      ].join('\n'),
    );
    expect(w.slotOnly).toBe(0);
    expect(s.status.runs).toMatchObject({ missed: 0, skipped: 0 });
    expect(after.events - before.events).toBe(0);
  }, 300_000);
});
