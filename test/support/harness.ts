// The set-up most integration files share: the CRD, a namespace of the file's own, optionally the ledger
// admission policy for it, and the real operator watching only that namespace (its Lease in it too).
// useOperatorNamespace registers the beforeAll/afterAll; the returned object's fields are filled in beforeAll.
import { afterAll, beforeAll } from 'vitest';
import { clusterKubeconfig, createNamespace, installCrd } from './env.js';
import { installLedgerPolicy } from './ledger-policy.js';
import { testKube, type TestKube } from './kube.js';
import { startOperator, type OperatorProcess } from './operator.js';

export interface OperatorNamespaceOptions {
  /** resyncPeriod: the operator's --resync-period (default 5s; the operator's own default is 10m). */
  resyncPeriod?: string;
  /** fastLeaderElection: a 2s Lease renewed every 500ms, so a restarted operator leads again within seconds. */
  fastLeaderElection?: boolean;
  /** ledgerPolicy: install the ledger finalizer admission policy for the namespace (as the chart does). */
  ledgerPolicy?: boolean;
  /** args: more operator flags, after the namespace and resync ones. */
  args?: string[];
  /** env: environment for the operator process (LOG_LEVEL is debug unless set here). */
  env?: Record<string, string>;
  /** startOperator: start the operator in beforeAll (default true); false when the file calls start() itself. */
  startOperator?: boolean;
  /** kubeconfig: the cluster to use (read in beforeAll; default: the shared test cluster), e.g. a file's own control plane. */
  kubeconfig?: () => string;
  /** operatorKubeconfig: the operator's own kubeconfig when it differs from the tests' (e.g. through a proxy). */
  operatorKubeconfig?: () => string;
}

export interface OperatorNamespace {
  kubeconfig: string;
  kube: TestKube;
  /** ns: the namespace's name. */
  ns: string;
  /** operator: the running operator, undefined while stopped. */
  operator: OperatorProcess | undefined;
  /** start starts the operator (it must be stopped) and, unless told not to, waits until it is ready. */
  start(opts?: { waitReady?: boolean }): Promise<OperatorProcess>;
  /** stop stops the operator (SIGTERM unless told otherwise) and returns its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null | undefined>;
}

export function useOperatorNamespace(prefix: string, options: OperatorNamespaceOptions = {}): OperatorNamespace {
  let removeNamespace: (() => Promise<void>) | undefined;
  let removePolicy: (() => Promise<void>) | undefined;

  const fastLeaderElection = [
    '--leader-election-lease-duration=2s',
    '--leader-election-renew-deadline=1500ms',
    '--leader-election-retry-period=500ms',
  ];
  const harness: OperatorNamespace = {
    kubeconfig: '',
    kube: undefined as unknown as TestKube,
    ns: '',
    operator: undefined,
    async start({ waitReady = true } = {}) {
      if (harness.operator) throw new Error('the operator is already running: stop() it before start()');
      const operator = await startOperator({
        kubeconfig: options.operatorKubeconfig?.() ?? harness.kubeconfig,
        args: [
          `--watch-namespaces=${harness.ns}`,
          `--leader-election-namespace=${harness.ns}`,
          `--resync-period=${options.resyncPeriod ?? '5s'}`,
          ...(options.fastLeaderElection ? fastLeaderElection : []),
          ...(options.args ?? []),
        ],
        env: options.env ?? {},
      });
      harness.operator = operator;
      if (waitReady) await operator.waitReady();
      return operator;
    },
    async stop(signal) {
      const operator = harness.operator;
      harness.operator = undefined;
      return operator?.stop(signal);
    },
  };

  beforeAll(async () => {
    harness.kubeconfig = options.kubeconfig?.() ?? clusterKubeconfig();
    harness.kube = testKube(harness.kubeconfig);
    await installCrd(harness.kube);
    const ns = await createNamespace(harness.kube, prefix);
    harness.ns = ns.name;
    removeNamespace = ns.remove;
    if (options.ledgerPolicy) removePolicy = await installLedgerPolicy(harness.kube, ns.name);
    if (options.startOperator ?? true) await harness.start();
  });

  afterAll(async () => {
    await harness.stop();
    await removePolicy?.();
    await removeNamespace?.();
  });

  return harness;
}
