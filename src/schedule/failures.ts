// Why a run failed, in words a person can act on: the Job's Failed condition (BackoffLimitExceeded,
// DeadlineExceeded, PodFailurePolicy, ...) and, from its pods, the failed container's exit code, terminated
// reason (Error, OOMKilled, ...) and termination message. Pure: the reconciler reads the pods of a Job that
// the ledger counts as Failed, once (label batch.kubernetes.io/controller-uid=<job uid>), and passes them here.
// Never log contents: only the termination message the container wrote (or, with terminationMessagePolicy
// FallbackToLogsOnError, the log tail the kubelet put there), cut to MAX_TERMINATION_MESSAGE_BYTES.
import { MAX_TERMINATION_MESSAGE_BYTES, RECENT_FAILURES_LIMIT, type Run } from '../api/schedule.js';
import type { Job } from '../types/kube.js';
import { runKey } from './jobs.js';

/** The label the Job controller puts on its pods (Kubernetes >= 1.27). */
export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

export interface ContainerTerminated {
  exitCode?: number;
  reason?: string;
  message?: string;
  finishedAt?: string;
}

export interface ContainerStatusLike {
  name: string;
  state?: { terminated?: ContainerTerminated };
  lastState?: { terminated?: ContainerTerminated };
}

/** PodLike: the parts of a core/v1 Pod failure extraction reads. */
export interface PodLike {
  metadata: { name: string; creationTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string; // pod-level, e.g. Evicted, DeadlineExceeded
    message?: string;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

export type FailureDetails = Pick<Run, 'reason' | 'message' | 'container' | 'exitCode' | 'containerReason' | 'terminationMessage'>;

/** podSelector is the label selector of a Job's pods. */
export function podSelector(job: Job): string | undefined {
  return job.metadata.uid ? `${LABEL_CONTROLLER_UID}=${job.metadata.uid}` : undefined;
}

/** jobFailure is the reason and message of a Job's Failed condition (or of FailureTarget, set first). */
export function jobFailure(job: Job): Pick<Run, 'reason' | 'message'> {
  const conditions = job.status?.conditions ?? [];
  const c =
    conditions.find((x) => x.type === 'Failed' && x.status === 'True') ??
    conditions.find((x) => x.type === 'FailureTarget' && x.status === 'True');
  const out: Pick<Run, 'reason' | 'message'> = {};
  if (c?.reason) out.reason = c.reason;
  if (c?.message) out.message = c.message;
  return out;
}

/**
 * podFailure picks the container that failed: in the newest pod that has one, the init or app container that
 * terminated with a non-zero exit code (current state, else the last state of a restarted container), the one
 * that finished last. A pod without such a container but with a pod-level reason (Evicted, DeadlineExceeded)
 * reports that reason. Undefined when no pod says anything.
 */
export function podFailure(pods: PodLike[]): Omit<FailureDetails, 'reason' | 'message'> | undefined {
  const newestFirst = [...pods].sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    return tb - ta || (a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0);
  });
  for (const pod of newestFirst) {
    let best: { name: string; t: ContainerTerminated } | undefined;
    for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const t = failed(cs.state?.terminated) ?? failed(cs.lastState?.terminated);
      if (!t) continue;
      if (!best || (Date.parse(t.finishedAt ?? '') || 0) > (Date.parse(best.t.finishedAt ?? '') || 0)) best = { name: cs.name, t };
    }
    if (best) {
      const out: Omit<FailureDetails, 'reason' | 'message'> = { container: `${pod.metadata.name}/${best.name}` };
      if (best.t.exitCode !== undefined) out.exitCode = best.t.exitCode;
      if (best.t.reason) out.containerReason = best.t.reason;
      if (best.t.message) out.terminationMessage = truncateUtf8(best.t.message.trim(), MAX_TERMINATION_MESSAGE_BYTES);
      return out;
    }
    if (pod.status?.phase === 'Failed' && pod.status.reason) {
      const out: Omit<FailureDetails, 'reason' | 'message'> = { container: pod.metadata.name, containerReason: pod.status.reason };
      if (pod.status.message) out.terminationMessage = truncateUtf8(pod.status.message, MAX_TERMINATION_MESSAGE_BYTES);
      return out;
    }
  }
  return undefined;
}

function failed(t: ContainerTerminated | undefined): ContainerTerminated | undefined {
  return t && (t.exitCode ?? 0) !== 0 ? t : undefined;
}

/** failureDetails: the Job's failure reason and message, with its failed container's details. */
export function failureDetails(job: Job, pods: PodLike[]): FailureDetails {
  return { ...jobFailure(job), ...(podFailure(pods) ?? {}) };
}

/** withFailure adds failure details to a run (details win; the run's own fields stay otherwise). */
export function withFailure(run: Run, details: FailureDetails): Run {
  return { ...run, ...details };
}

const ELLIPSIS = '…';

/**
 * truncateUtf8 cuts `text` to at most `maxBytes` bytes of UTF-8, never inside a character (a surrogate pair
 * stays whole), ending with "…" when it cut.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(ELLIPSIS, 'utf8');
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > budget) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end) + ELLIPSIS;
}

/** mergeFailures keeps the last RECENT_FAILURES_LIMIT failed runs, newest first, one entry per Job (the newer description wins). */
export function mergeFailures(previous: Run[] | undefined, runs: Run[]): Run[] {
  const byKey = new Map<string, Run>();
  for (const r of previous ?? []) byKey.set(runKey(r), r);
  for (const r of runs) if (r.result === 'Failed') byKey.set(runKey(r), { ...byKey.get(runKey(r)), ...r });
  return [...byKey.values()]
    .sort((a, b) => {
      const ta = a.completionTime ?? a.startTime ?? '';
      const tb = b.completionTime ?? b.startTime ?? '';
      return ta < tb ? 1 : ta > tb ? -1 : a.jobName < b.jobName ? 1 : a.jobName > b.jobName ? -1 : 0;
    })
    .slice(0, RECENT_FAILURES_LIMIT);
}
