// Fault: the API server is killed (SIGKILL: connections reset, nothing drained) and started again with the same
// arguments, on a control plane of this file's own. Runs are in flight across the outage (kwok keeps their pods
// Running for 12 s), more are started right after it. Afterwards a new Schedule converges, every run that finished is
// counted exactly, the operator settles without a 409 loop, and it is the same process throughout.
//
// Measured and printed: the outage, and the time from the API server being ready again to the operator's first
// successful status write (its debug line 'status updated').
//
// The operator runs without leader election (one replica): with a Lease, an outage longer than the renew deadline
// (10 s by default) makes it exit on purpose, as controller-runtime does, and a restart under load can take that long.
import { describe, expect, it } from 'vitest';
import { useControlPlane } from '../support/control-plane.js';
import { schedulesPath } from '../support/kube.js';
import {
  conflictReport,
  steadyWorkloadBeforeFault,
  expectNo409Loop,
  expectRecovered,
  logLines,
  relists,
  sleep,
  statusWrites,
  useFaultNamespace,
  workloadAfterFault,
} from './faults-helpers.js';

const plane = useControlPlane('apiserver-restart');
const env = useFaultNamespace(plane, 'fault-restart');

describe('the API server killed and restarted', () => {
  it('converges, counts every run exactly and settles, in the same operator process', async () => {
    const op = env.operator!;
    const pid = op.child.pid;
    const { kube, ns } = env;

    await steadyWorkloadBeforeFault(kube, ns);

    const killedAt = Date.now();
    await plane.current.kill('kube-apiserver');
    await sleep(5_000);
    const started = await plane.current.start('kube-apiserver');
    const readyAt = started.readyAtMs;

    // Right after the outage: a new Schedule, a run-now and two quick runs.
    await workloadAfterFault(kube, ns);
    const convergedMs = Date.now() - readyAt;

    const recovered = await expectRecovered(env, pid, { steady: 5, after: 1 });

    const first = statusWrites(op, readyAt)[0];
    const informerErrors = logLines(op, readyAt).filter((l) => l.informer && l.level >= 40);
    expect(first, 'a status write after the API server came back').toBeDefined();
    const s = await kube.get(schedulesPath(ns, 'steady'));
    console.log(
      [
        'faults: API server killed and restarted',
        `  outage (SIGKILL -> ready again): ${readyAt - killedAt} ms${started.restarted.length ? `; harness restarted ${started.restarted.join(', ')}` : ''}`,
        `  API server ready -> first successful status write: ${first!.time - readyAt} ms`,
        `  API server ready -> new Schedule seen Ready by the test: ${convergedMs} ms`,
        `  re-lists after 410 Gone: ${relists(op, killedAt).join(', ') || 'none'}`,
        `  informer failures after the API server was ready: ${informerErrors.length}${informerErrors.length ? ` (${[...new Set(informerErrors.map((l) => l.msg))].join('; ')})` : ''}`,
        ...recovered.map((l) => `  ${l}`),
        `  ${conflictReport(op, killedAt).text}`,
        `  steady status.runs ${JSON.stringify(s.status.runs)}`,
      ].join('\n'),
    );
    expectNo409Loop(op, killedAt);
  });
});
