// `schedule-operator run <name> [-n namespace]`: asks the operator for a run now by setting the
// run-requested-at annotation to a new token (the current time). The operator starts at most one Job per token.
import { KubeConfig } from '@kubernetes/client-node';
import { ANNOTATION_RUN_REQUESTED_AT, GROUP, PLURAL, VERSION } from '../api/schedule.js';
import type { Io } from '../types/io.js';
import { isNotFound, restFromKubeConfig } from '../kube/rest.js';

const USAGE = 'usage: schedule-operator run <name> [-n namespace] [--kubeconfig path]';

export async function runNow(argv: string[], io: Io): Promise<number> {
  let name: string | undefined;
  let namespace: string | undefined;
  let kubeconfig: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '-n' || flag === '--namespace') namespace = value();
    else if (flag === '--kubeconfig') kubeconfig = value();
    else if (flag === '-h' || flag === '--help') {
      io.stdout(USAGE);
      return 0;
    } else if (flag.startsWith('-')) {
      io.stderr(`schedule-operator run: unknown flag ${flag}; ${USAGE}`);
      return 2;
    } else if (name === undefined) name = arg;
    else {
      io.stderr(`schedule-operator run: one Schedule name expected, got "${name}" and "${arg}"; ${USAGE}`);
      return 2;
    }
  }
  if (!name) {
    io.stderr(`schedule-operator run: the Schedule name is missing; ${USAGE}`);
    return 2;
  }
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const token = io.now().toISOString();
  try {
    await restFromKubeConfig(kc).request('PATCH', `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}/${name}`, {
      body: { metadata: { annotations: { [ANNOTATION_RUN_REQUESTED_AT]: token } } },
      contentType: 'application/merge-patch+json',
    });
  } catch (err) {
    const reason = isNotFound(err) ? `Schedule ${ns}/${name} not found` : (err as Error).message;
    io.stderr(`schedule-operator run: ${reason}`);
    return 1;
  }
  io.stdout(`run requested for Schedule ${ns}/${name} (token ${token}); watch it with: kubectl get sched ${name} -n ${ns} -w`);
  return 0;
}
