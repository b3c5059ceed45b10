// Fault: the operator's watches resume from a resourceVersion etcd has compacted away, so the API server answers
// 410 Gone and the informers must list again (the re-list is otherwise only unit-tested). On a control plane of this
// file's own, whose API server serves watches from etcd (--watch-cache=false: its watch cache would otherwise answer
// from its own window of events, and compaction would not reach the operator), the operator is cut off by a TCP proxy
// (every connection reset, new ones refused) while the cluster keeps working: runs start and finish, a Schedule is
// created, run-now is asked for. Then etcd is compacted at its current revision and the proxy lets the operator
// through again. Its watches resume from resourceVersions older than the compaction, get 410 Gone and re-list; the
// re-lists (logged 'watch expired (410 Gone); listing again', one per informer) must bring in everything that
// happened meanwhile: runs counted exactly, the new Schedule Ready, the run-now done; no 409 loop; same process.
//
// Measured and printed: the time from the reconnect to the operator's first successful status write, and to each
// informer's re-list.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigVia, useControlPlane } from '../support/control-plane.js';
import { eventually } from '../support/kube.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { requestRun, waitCounted, waitHandled, waitReady } from './ledger-helpers.js';
import {
  conflictReport,
  expectNo409Loop,
  expectRecovered,
  logLines,
  relists,
  schedule,
  sleep,
  startJob,
  statusWrites,
  useFaultNamespace,
  waitAllFinished,
} from './faults-helpers.js';

const CUT_MS = 15_000;

const plane = useControlPlane('compaction', { apiserverArgs: ['--watch-cache=false'] });
let proxy: TcpProxy;
let operatorKubeconfig = '';
beforeAll(async () => {
  proxy = new TcpProxy(plane.current.apiPort);
  const port = await proxy.start();
  operatorKubeconfig = kubeconfigVia(plane.current.kubeconfig, port, join(plane.current.dir, 'operator-via-proxy.kubeconfig'));
});
const env = useFaultNamespace(plane, 'fault-compact', { operatorKubeconfig: () => operatorKubeconfig });
afterAll(() => proxy?.stop());

describe('etcd compaction while the operator is cut off', () => {
  it('the informers re-list after 410 Gone and catch up with everything that happened meanwhile', async () => {
    const op = env.operator!;
    const pid = op.child.pid;
    const { kube, ns } = env;
    const informers = ['schedules', 'cronjobs', 'jobs'].map((r) => `${r}/${ns}`);

    await schedule(kube, ns, 'steady');
    await waitReady(kube, ns, 'steady');
    await requestRun(kube, ns, 'steady', 'before-1');
    await waitCounted(kube, ns, 'steady', 1);

    const cutAt = Date.now();
    const reset = proxy.cut();
    // The cluster works on without the operator.
    await startJob(kube, ns, 'steady', 'steady-meanwhile-1');
    await startJob(kube, ns, 'steady', 'steady-meanwhile-2');
    await startJob(kube, ns, 'steady', 'steady-meanwhile-3');
    await requestRun(kube, ns, 'steady', 'during-1');
    await schedule(kube, ns, 'created-meanwhile');
    await requestRun(kube, ns, 'created-meanwhile', 'during-2');
    await waitAllFinished(kube, ns, 'steady', 4);
    await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)));
    const revision = await plane.current.compact();
    proxy.restore();
    const restoredAt = Date.now();

    await eventually(
      `every informer (${informers.join(', ')}) to re-list after 410 Gone`,
      async () => informers.every((i) => relists(op, restoredAt).includes(i)),
      90_000,
      200,
    );
    await waitHandled(kube, ns, 'steady', 'during-1', 60_000);
    await waitHandled(kube, ns, 'created-meanwhile', 'during-2', 60_000);
    const recovered = await expectRecovered(env, pid, { steady: 5, 'created-meanwhile': 1 });

    const first = statusWrites(op, restoredAt)[0];
    expect(first, 'a status write after the reconnect').toBeDefined();
    const relistTimes = logLines(op, restoredAt)
      .filter((l) => l.msg === 'watch expired (410 Gone); listing again')
      .map((l) => `${l.informer} +${l.time - restoredAt} ms`);
    console.log(
      [
        `faults: operator cut off ${CUT_MS / 1000} s (${reset} connections reset), etcd compacted at revision ${revision}, reconnected`,
        `  reconnect -> first successful status write: ${first!.time - restoredAt} ms`,
        `  re-lists after 410 Gone: ${relistTimes.join(', ')}`,
        ...recovered.map((l) => `  ${l}`),
        `  ${conflictReport(op, cutAt).text}`,
      ].join('\n'),
    );
    expectNo409Loop(op, cutAt);
  });
});
