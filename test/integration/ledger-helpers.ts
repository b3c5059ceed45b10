// Helpers for the ledger, run-now and callback integration tests: the truth about Jobs (from a watch,
// independent of the operator) and run requests. The finalizer admission policy is installed by test/support/ledger-policy.ts.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { scheduleManifest } from '../support/env.js';
import { eventually, jobsPath, schedulesPath, type TestKube } from '../support/kube.js';

export interface JobTruth {
  name: string;
  schedule: string;
  manual: boolean;
  result?: 'Succeeded' | 'Failed';
  deleted: boolean;
}

/** RunTruth: a Schedule's finished Jobs as a watch saw them (deleted: how many of them are gone since). */
export interface RunTruth {
  total: number;
  succeeded: number;
  failed: number;
  manual: number;
  deleted: number;
}

/** expectRunsEqual: status.runs counts exactly the finished Jobs the watch saw; no slot missed or skipped (a yearly schedule). */
export function expectRunsEqual(runs: unknown, truth: RunTruth): void {
  expect(runs).toEqual({
    total: truth.total,
    succeeded: truth.succeeded,
    failed: truth.failed,
    manual: truth.manual,
    missed: 0,
    skipped: 0,
  });
}

/** JobWatch records every Job of a namespace by uid, with how it ended, from a watch that resumes. */
export class JobWatch {
  readonly jobs = new Map<string, JobTruth>();
  private abort: AbortController | undefined;
  private stopped = false;
  private rv: string | undefined;

  constructor(
    private readonly kubeconfig: string,
    private readonly namespace: string,
    /** onSeen hears every recorded change (e.g. to time when a Job finished). */
    private readonly onSeen?: (uid: string, job: JobTruth) => void,
  ) {}

  async start(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    const watch = new Watch(kc);
    const begin = async () => {
      if (this.stopped) return;
      this.abort = await watch.watch(
        jobsPath(this.namespace),
        { labelSelector: 'schedule-operator.io/schedule', allowWatchBookmarks: true, ...(this.rv ? { resourceVersion: this.rv } : {}) },
        (phase, obj) => this.seen(phase, obj),
        () => void setTimeout(() => void begin().catch(() => undefined), 100),
      );
    };
    await begin();
  }

  private seen(phase: string, job: any): void {
    if (job?.metadata?.resourceVersion) this.rv = job.metadata.resourceVersion;
    if (phase === 'BOOKMARK' || !job?.metadata?.uid) return;
    const uid = job.metadata.uid as string;
    const t: JobTruth = this.jobs.get(uid) ?? {
      name: job.metadata.name,
      schedule: job.metadata.labels?.['schedule-operator.io/schedule'],
      manual:
        job.metadata.labels?.['schedule-operator.io/trigger'] === 'Manual' ||
        job.metadata.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual',
      deleted: false,
    };
    const done = (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done) t.result = done.type === 'Complete' ? 'Succeeded' : 'Failed';
    if (phase === 'DELETED') t.deleted = true;
    this.jobs.set(uid, t);
    this.onSeen?.(uid, t);
  }

  /** truth counts the finished Jobs of one Schedule. */
  truth(schedule: string): RunTruth {
    const mine = [...this.jobs.values()].filter((j) => j.schedule === schedule && j.result);
    return {
      total: mine.length,
      succeeded: mine.filter((j) => j.result === 'Succeeded').length,
      failed: mine.filter((j) => j.result === 'Failed').length,
      manual: mine.filter((j) => j.manual).length,
      deleted: mine.filter((j) => j.deleted).length,
    };
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

export const applySchedule = (kube: TestKube, ns: string, name: string, spec: Record<string, unknown>, opts: { fail?: boolean } = {}) =>
  kube.apply(schedulesPath(ns, name), scheduleManifest(ns, name, { schedule: '0 0 1 1 *', ...spec }, opts));

/**
 * jobFromCronJob builds the Job that `kubectl create job --from=cronjob/<name>` makes from a CronJob: its
 * template, labels and a controller owner reference, marked manual by the instantiate annotation
 * (`manual: false` leaves that out); `podSpec` overrides fields of the pod spec.
 */
export function jobFromCronJob(cj: any, jobName: string, opts: { manual?: boolean; podSpec?: Record<string, unknown> } = {}): any {
  const spec = structuredClone(cj.spec.jobTemplate.spec);
  if (opts.podSpec) Object.assign(spec.template.spec, opts.podSpec);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      labels: cj.spec.jobTemplate.metadata.labels,
      ...((opts.manual ?? true) ? { annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } } : {}),
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cj.metadata.name,
          uid: cj.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

/** requestRun sets the run-now annotation, as `schedule-operator run` does. */
export const requestRun = (kube: TestKube, ns: string, name: string, token: string) =>
  kube.patch(schedulesPath(ns, name), { metadata: { annotations: { 'schedule-operator.io/run-requested-at': token } } });

export async function waitHandled(kube: TestKube, ns: string, name: string, token: string, timeoutMs = 30_000): Promise<any> {
  return eventually(
    `Schedule ${name} to handle run request ${token}`,
    async () => {
      const s = await kube.get(schedulesPath(ns, name));
      return s?.status?.lastHandledRunRequest === token ? s : undefined;
    },
    timeoutMs,
    100,
  );
}

/** waitCounted waits until status.runs.total reaches n. */
export async function waitCounted(kube: TestKube, ns: string, name: string, n: number, timeoutMs = 60_000): Promise<any> {
  return eventually(
    `Schedule ${name} to count ${n} runs`,
    async () => {
      const s = await kube.get(schedulesPath(ns, name));
      return (s?.status?.runs?.total ?? 0) >= n ? s : undefined;
    },
    timeoutMs,
    100,
  );
}

/** waitReadyCronJob waits until the Schedule is Ready at its current generation (the CronJob is applied). */
export async function waitReady(kube: TestKube, ns: string, name: string, timeoutMs = 30_000): Promise<any> {
  return eventually(
    `Schedule ${name} to be Ready`,
    async () => {
      const s = await kube.get(schedulesPath(ns, name));
      const ready = s?.status?.conditions?.find((c: any) => c.type === 'Ready');
      return ready?.status === 'True' && s.status.observedGeneration === s.metadata.generation ? s : undefined;
    },
    timeoutMs,
    100,
  );
}

/** deleteSchedule deletes a Schedule (kube.remove's DeleteOptions body is refused with 400 for custom resources here). */
export async function deleteSchedule(kube: TestKube, ns: string, name: string): Promise<void> {
  await kube.rest.request('DELETE', schedulesPath(ns, name)).catch((err) => {
    if (err?.statusCode !== 404) throw err;
  });
}

/** expectNoLedgerFinalizers: after the Schedules are deleted nothing of ours holds a Job. */
export async function expectNoJobsLeft(kube: TestKube, ns: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `every Job in ${ns} to be gone (no ledger finalizer left)`,
    async () => {
      const list = await kube.get(jobsPath(ns));
      return list.items.length === 0;
    },
    timeoutMs,
    250,
  ).catch(async (err) => {
    const list = await kube.get(jobsPath(ns));
    expect(
      list.items.map((j: any) => `${j.metadata.name} finalizers=${j.metadata.finalizers} deleting=${!!j.metadata.deletionTimestamp}`),
    ).toEqual([]);
    throw err;
  });
}
