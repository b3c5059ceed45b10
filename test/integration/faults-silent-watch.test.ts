// Fault: a watch that goes silent - its TCP connection open, not one byte arriving - must be noticed by the operator
// and restarted, without waiting for the server (which may never answer again). On a control plane of this file's
// own the API server is frozen (SIGSTOP): every watch connection stays established and silent, nothing errors. A
// healthy watch is never silent for long: the API server sends a bookmark about every minute and ends each watch at
// the timeoutSeconds the client asked for. The operator must detect the silence itself (a client-side watchdog).
//
// The test freezes the server until the operator shows it noticed - any line its informers log while the server is
// frozen: only the client can end a watch then - or until SILENT_WATCH_LIMIT_S (default 140 s) has passed, and
// fails in the second case. Then it thaws the server: a new Schedule must converge, in the same operator process.
//
// Measured and printed: the detection time (freeze -> the first informer line). The silence a watch had when the
// freeze began (up to a minute since its last bookmark) comes on top.
import { afterAll, describe, expect, it } from 'vitest';
import { useControlPlane } from '../support/control-plane.js';
import { useOperatorNamespace } from '../support/harness.js';
import { waitReady } from './ledger-helpers.js';
import { expectSameProcess, keepLogs, logLines, schedule, sleep, SINGLE_REPLICA, type LogLine } from './faults-helpers.js';

const LIMIT_MS = Number(process.env.SILENT_WATCH_LIMIT_S ?? 140) * 1000;

const plane = useControlPlane('silent-watch');
const env = useOperatorNamespace('fault-silent', { kubeconfig: () => plane.current.kubeconfig, args: SINGLE_REPLICA });
afterAll(() => keepLogs(env.operator, plane.current.dir));

describe('a silent watch', () => {
  it(
    `is detected and restarted by the operator within ${LIMIT_MS / 1000} s of the server going silent`,
    async () => {
      const op = env.operator!;
      const pid = op.child.pid;
      const { kube, ns } = env;
      await schedule(kube, ns, 'before');
      await waitReady(kube, ns, 'before');
      await sleep(2_000); // the watches are established and quiet

      const frozenAt = Date.now();
      await plane.current.freeze('kube-apiserver');
      const noticed = (): LogLine[] => logLines(op, frozenAt).filter((l) => l.informer !== undefined && l.msg !== 'cache synced');
      let seen: LogLine[] = [];
      try {
        while (Date.now() - frozenAt < LIMIT_MS && (seen = noticed()).length === 0) await sleep(500);
      } finally {
        await plane.current.thaw('kube-apiserver');
      }
      const thawedAt = Date.now();
      const detected = seen[0];

      await schedule(kube, ns, 'after');
      await waitReady(kube, ns, 'after', 90_000);
      const convergedMs = Date.now() - thawedAt;
      expectSameProcess(op, pid);

      const informers = [...new Set(seen.map((l) => l.informer))];
      console.log(
        [
          'faults: silent watch (API server frozen)',
          detected
            ? `  detected ${detected.time - frozenAt} ms after the freeze by ${informers.join(', ')}: ${detected.msg} (${seen.length} informer lines while frozen)`
            : `  NOT detected within ${LIMIT_MS} ms of silence`,
          `  thaw -> new Schedule seen Ready by the test: ${convergedMs} ms`,
        ].join('\n'),
      );
      expect(
        detected,
        `no informer noticed its watch was silent within ${LIMIT_MS / 1000} s (the watch's own socket timeout is timeoutSeconds + 30 s, 330-630 s, unless a client-side watchdog ends it sooner)`,
      ).toBeDefined();
    },
    LIMIT_MS + 60_000,
  );
});
