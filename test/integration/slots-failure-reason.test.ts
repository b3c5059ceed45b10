// A failed run shows why, on a real control plane: kwok's failure stage terminates the container with the exit code,
// reason and message its annotations name (a kubelet would report the same fields), the Job fails with
// BackoffLimitExceeded, and status.lastRun / recentFailures carry the Job's reason and the container's exit code,
// reason and termination message, read from the pods once (the chart's Role grants get/list pods for it).
import { describe, expect, it } from 'vitest';
import { useOperatorNamespace } from '../support/harness.js';
import { schedulesPath } from '../support/kube.js';
import { scheduleManifest } from '../support/env.js';
import { requestRun, waitCounted, waitReady } from './ledger-helpers.js';

const env = useOperatorNamespace('slots-failreason', { ledgerPolicy: true });

describe('failure reasons', () => {
  it('a failed run shows exit code and reason in status.lastRun and recentFailures', async () => {
    const manifest = scheduleManifest(env.ns, 'oom', { schedule: '0 0 1 1 *' }, { fail: true });
    const template = manifest.spec.jobTemplate.spec.template as {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    };
    // kwok writes the message into YAML unquoted: no ": " in it, or the stage fails and the pod never ends.
    template.metadata.annotations = {
      'pod-container-running-failed.stage.kwok.x-k8s.io/exit-code': '137',
      'pod-container-running-failed.stage.kwok.x-k8s.io/reason': 'OOMKilled',
      'pod-container-running-failed.stage.kwok.x-k8s.io/message': 'killed at the 512Mi limit',
    };
    await env.kube.apply(schedulesPath(env.ns, 'oom'), manifest);
    await waitReady(env.kube, env.ns, 'oom');
    await requestRun(env.kube, env.ns, 'oom', 'go-1');
    const s = await waitCounted(env.kube, env.ns, 'oom', 1);

    expect(s.status.runs).toMatchObject({ total: 1, failed: 1 });
    expect(s.status.lastRun).toMatchObject({
      result: 'Failed',
      trigger: 'Manual',
      reason: 'BackoffLimitExceeded',
      exitCode: 137,
      containerReason: 'OOMKilled',
      terminationMessage: 'killed at the 512Mi limit',
    });
    expect(s.status.lastRun.container).toMatch(/^oom-manual-[0-9a-f]+-\w+\/main$/);
    expect(s.status.recentFailures?.[0]).toMatchObject({ jobName: s.status.lastRun.jobName, exitCode: 137, containerReason: 'OOMKilled' });
    expect(s.status.recentRuns?.[0]).toMatchObject({ jobName: s.status.lastRun.jobName, exitCode: 137 });
    // Read once: the operator's log names no second listing for the Job (the run is counted in one pass).
    const listings = env.operator!.logs.filter((l) => l.includes('failed runs are recorded without exit code'));
    expect(listings).toEqual([]);
  });
});
