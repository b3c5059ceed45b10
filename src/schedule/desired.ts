// desiredCronJob: the CronJob a valid Schedule should own. Pure; the reconciler applies it with
// server-side apply, so this object lists exactly the fields the operator manages.
import { createHash } from 'node:crypto';
import { API_VERSION, GROUP, KIND, LABEL_MANAGED_BY, LABEL_SCHEDULE, MANAGER, type ScheduleSpec } from '../api/schedule.js';
import type { CronJob, JobTemplate } from '../types/kube.js';

/** ANNOTATION_SPEC_HASH records which desired spec the CronJob was last applied from. */
export const ANNOTATION_SPEC_HASH = `${GROUP}/spec-hash`;

export interface ScheduleRef {
  name: string;
  namespace: string;
  uid: string;
}

/** cronJobSuspend: the CronJob is suspended for spec.suspend and while the Schedule is paused after failures (status.pause). */
export function cronJobSuspend(spec: Pick<ScheduleSpec, 'suspend'>, pause: unknown): boolean {
  return spec.suspend || pause !== undefined;
}

/** desiredCronJob builds the CronJob for a Schedule whose spec passed validateSpec; `paused` (status.pause is set) suspends it too. */
export function desiredCronJob(owner: ScheduleRef, spec: ScheduleSpec, effectiveSchedule: string, paused = false): CronJob {
  const template = spec.jobTemplate as JobTemplate;
  const jobTemplate: JobTemplate = {
    ...template,
    metadata: {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [LABEL_SCHEDULE]: owner.name, [LABEL_MANAGED_BY]: MANAGER },
    },
  };
  const cronJobSpec: CronJob['spec'] = {
    schedule: effectiveSchedule,
    timeZone: spec.timeZone,
    concurrencyPolicy: 'Forbid',
    suspend: spec.suspend || paused,
    startingDeadlineSeconds: spec.startingDeadlineSeconds,
    successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit,
    failedJobsHistoryLimit: spec.failedJobsHistoryLimit,
    jobTemplate,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: owner.name,
      namespace: owner.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGER, [LABEL_SCHEDULE]: owner.name },
      annotations: { [ANNOTATION_SPEC_HASH]: specHash(cronJobSpec) },
      ownerReferences: [
        { apiVersion: API_VERSION, kind: KIND, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: cronJobSpec,
  };
}

/** specHash is a short, stable digest of a value (object keys sorted). */
export function specHash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * cronJobNeedsApply decides whether the observed CronJob differs from the desired one in any field the
 * operator manages: missing, applied from another spec (hash), or edited by someone.
 *
 * `appliedGeneration` is the CronJob generation our last apply produced (remembered by the reconciler).
 * While the observed generation equals it, nobody changed the spec since. Without it (after a restart)
 * every desired field must be present with the same value; fields the API server defaults are ignored
 * and lists must match in length, so an added container is drift. A value the server normalises
 * (a quantity "0.5" stored as "500m") costs one idempotent apply per restart, after which the
 * generation rule holds.
 */
export function cronJobNeedsApply(desired: CronJob, observed: CronJob | undefined, appliedGeneration?: number): boolean {
  if (!observed) return true;
  if (observed.metadata.annotations?.[ANNOTATION_SPEC_HASH] !== desired.metadata.annotations?.[ANNOTATION_SPEC_HASH]) return true;
  if (appliedGeneration !== undefined && observed.metadata.generation === appliedGeneration) return false;
  const owners = observed.metadata.ownerReferences ?? [];
  const owner = desired.metadata.ownerReferences?.[0];
  if (owner && !owners.some((o) => o.uid === owner.uid && o.controller === true)) return true;
  if (!contains(observed.metadata.labels ?? {}, desired.metadata.labels ?? {})) return true;
  return !contains(observed.spec, desired.spec);
}

/** contains reports whether every field of `want` is present with the same value in `have`. */
export function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(
      ([k, w]) => w === undefined || contains((have as Record<string, unknown>)[k], w),
    );
  }
  return have === want;
}
