// The ledger finalizer admission policy for one namespace, as the chart installs it cluster-wide. Free of vitest,
// so the benches can use it too.
import { ledgerFinalizerPolicy } from '../../src/schedule/ledger-policy.js';
import type { TestKube } from './kube.js';

/** installLedgerPolicy installs the finalizer admission policy for one namespace (as the chart does cluster-wide). */
export async function installLedgerPolicy(kube: TestKube, ns: string): Promise<() => Promise<void>> {
  const name = `ledger-finalizer-${ns}`;
  const [policy, binding] = ledgerFinalizerPolicy({ name, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  await kube.apply(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies/${name}`, policy, 'schedule-operator-tests');
  await kube.apply(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings/${name}`, binding, 'schedule-operator-tests');
  return async () => {
    await kube.rest
      .request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings/${name}`)
      .catch(() => undefined);
    await kube.rest.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies/${name}`).catch(() => undefined);
  };
}
