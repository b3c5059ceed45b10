// The admission policy that makes every Job of a Schedule *born* with the ledger finalizer.
//
// The CronJob controller copies only labels and annotations from jobTemplate.metadata, never finalizers
// (pkg/controller/cronjob getJobFromTemplate2), so the finalizer cannot come through the template. Without
// this policy the operator adds it when it first sees a running Job; a Job that starts, finishes and is
// deleted by the history limits entirely while the operator is down would then never be counted. With it,
// the API server itself adds the finalizer at creation: a MutatingAdmissionPolicy (CEL, in-process in the
// API server, GA and on by default since Kubernetes 1.36), so no webhook has to be up for Jobs to start,
// and failurePolicy Ignore means a broken policy never blocks a Job.
import { FINALIZER_LEDGER, LABEL_MANAGED_BY, LABEL_SCHEDULE, MANAGER } from '../api/schedule.js';

export const LEDGER_POLICY_NAME = 'schedule-operator-ledger-finalizer';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** ledgerFinalizerPolicy is the MutatingAdmissionPolicy and its binding (optionally for some namespaces only). */
export function ledgerFinalizerPolicy(
  opts: { name?: string; namespaceSelector?: LabelSelector } = {},
): [Record<string, unknown>, Record<string, unknown>] {
  const name = opts.name ?? LEDGER_POLICY_NAME;
  const labels = { [LABEL_MANAGED_BY]: MANAGER };
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name, labels },
    spec: {
      matchConstraints: {
        resourceRules: [{ apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['jobs'] }],
        objectSelector: { matchExpressions: [{ key: LABEL_SCHEDULE, operator: 'Exists' }] },
      },
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: { expression: `Object{metadata: Object.metadata{finalizers: ["${FINALIZER_LEDGER}"]}}` },
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name, labels },
    spec: { policyName: name, ...(opts.namespaceSelector ? { matchResources: { namespaceSelector: opts.namespaceSelector } } : {}) },
  };
  return [policy, binding];
}
