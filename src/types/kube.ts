// Plain-JSON shapes of the Kubernetes objects the operator reads and writes. Times are RFC3339 strings,
// exactly as the API server sends them (the REST client never turns them into Date objects).
// They sit at the bottom of the import layers: the pure domain, the REST layer and the webhook all use them.

/** ObjectMeta fields the operator reads. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Meta extends Partial<ObjectMeta> {
  name: string;
  namespace?: string;
  ownerReferences?: OwnerReference[];
}

export interface JobTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;
  spec: Record<string, unknown>;
}

export interface CronJob {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  metadata: Meta;
  spec: {
    schedule: string;
    timeZone?: string;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    startingDeadlineSeconds?: number;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: JobTemplate;
  };
  status?: {
    active?: Array<{ name?: string; namespace?: string; uid?: string }>;
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
  };
}

export interface JobCondition {
  type: string; // Complete, Failed, SuccessCriteriaMet, FailureTarget, Suspended
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Job {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: JobCondition[];
  };
}

export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  action: string;
}

/** Pod: the parts of a core/v1 Pod the operator reads (a failed run's container: src/schedule/failures.ts). */
export interface Pod {
  apiVersion?: 'v1';
  kind?: 'Pod';
  metadata: Meta;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: PodContainerStatus[];
    initContainerStatuses?: PodContainerStatus[];
  };
}

export interface PodContainerStatus {
  name: string;
  state?: { terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string } };
}

/** KObject is the least an object in a cache has: what list, watch and the informer key it by. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}
