// Fault: the API server frozen for 45 s (SIGSTOP, then SIGCONT) on a control plane of this file's own. Nothing errors:
// connections stay open and every request, watch and new TLS handshake simply hangs, the way a hung or partitioned
// server looks from a client. Runs are in flight across the freeze (kwok keeps their pods Running for 12 s, so they
// finish while the server is frozen and are written once it runs again), more are started right after it.
// Afterwards a new Schedule converges, every run that finished is counted exactly, the operator settles without a
// 409 loop, and it is the same process throughout.
//
// Measured and printed: the time from the thaw to the operator's first successful status write.
//
// The operator runs without leader election (one replica): with a Lease, 45 s without renewing it is past the renew
// deadline (10 s by default) and the operator exits on purpose, as controller-runtime does.
import { describe, expect, it } from 'vitest';
import { useControlPlane } from '../support/control-plane.js';
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

const FREEZE_MS = 45_000;

const plane = useControlPlane('apiserver-freeze');
const env = useFaultNamespace(plane, 'fault-freeze');

describe(`the API server frozen for ${FREEZE_MS / 1000} s`, () => {
  it('converges, counts every run exactly and settles, in the same operator process', async () => {
    const op = env.operator!;
    const pid = op.child.pid;
    const { kube, ns } = env;

    await steadyWorkloadBeforeFault(kube, ns);

    const frozenAt = Date.now();
    await plane.current.freeze('kube-apiserver');
    await sleep(FREEZE_MS);
    const thawedAt = Date.now();
    const thawed = await plane.current.thaw('kube-apiserver'); // SIGCONT, then waits for /readyz and a probe pod
    const errorsWhileFrozen = logLines(op, frozenAt).filter((l) => l.time < thawedAt && l.level >= 40);

    await workloadAfterFault(kube, ns);
    const convergedMs = Date.now() - thawedAt;

    const recovered = await expectRecovered(env, pid, { steady: 5, after: 1 });

    const first = statusWrites(op, thawedAt)[0];
    expect(first, 'a status write after the thaw').toBeDefined();
    console.log(
      [
        `faults: API server frozen ${FREEZE_MS / 1000} s`,
        `  thaw -> first successful status write: ${first!.time - thawedAt} ms${thawed.restarted.length ? `; harness restarted ${thawed.restarted.join(', ')}` : ''}`,
        `  thaw -> new Schedule seen Ready by the test: ${convergedMs} ms`,
        `  operator warnings/errors while frozen: ${errorsWhileFrozen.length} (${[...new Set(errorsWhileFrozen.map((l) => l.msg))].join('; ') || 'none'})`,
        `  re-lists after 410 Gone: ${relists(op, frozenAt).join(', ') || 'none'}`,
        ...recovered.map((l) => `  ${l}`),
        `  ${conflictReport(op, frozenAt).text}`,
      ].join('\n'),
    );
    expectNo409Loop(op, frozenAt);
  });
});
