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
import { afterAll, describe, expect, it } from 'vitest';
import { useControlPlane } from '../support/control-plane.js';
import { useOperatorNamespace } from '../support/harness.js';
import { schedulesPath } from '../support/kube.js';
import { requestRun, waitReady } from './ledger-helpers.js';
import {
  conflictReport,
  steadyWorkloadBeforeFault,
  expectCountedExactly,
  expectNo409Loop,
  expectSameProcess,
  expectSettled,
  keepLogs,
  logLines,
  relists,
  schedule,
  sleep,
  SINGLE_REPLICA,
  startJob,
  statusWrites,
} from './faults-helpers.js';

const plane = useControlPlane('apiserver-restart');
const env = useOperatorNamespace('fault-restart', { kubeconfig: () => plane.current.kubeconfig, ledgerPolicy: true, args: SINGLE_REPLICA });
afterAll(() => keepLogs(env.operator, plane.current.dir));

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
    await schedule(kube, ns, 'after');
    await requestRun(kube, ns, 'after', 'after-1');
    await startJob(kube, ns, 'steady', 'steady-quick-1');
    await startJob(kube, ns, 'steady', 'steady-quick-2');
    await waitReady(kube, ns, 'after', 90_000);
    const convergedMs = Date.now() - readyAt;

    const counted = [await expectCountedExactly(kube, ns, 'steady', 5), await expectCountedExactly(kube, ns, 'after', 1)];
    const settled = await expectSettled(env, ['steady', 'after']);
    expectSameProcess(op, pid);

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
        ...counted.map((c) => `  ${c}`),
        `  ${settled}`,
        `  ${conflictReport(op, killedAt).text}`,
        `  steady status.runs ${JSON.stringify(s.status.runs)}`,
      ].join('\n'),
    );
    expectNo409Loop(op, killedAt);
  });
});
