// `schedule-operator run <name> [-n namespace]`: asks the operator for a run now by setting the
// run-requested-at annotation to a new token (the current time). The operator starts at most one Job per token.
// The cluster is found exactly as the controller finds it (src/kube/kubeconfig.ts).
import { ANNOTATION_RUN_REQUESTED_AT } from '../api/schedule.js';
import { annotateSchedule } from '../kube/annotate.js';
import { loadKubeconfig, type RestConfig } from '../kube/kubeconfig.js';
import { isNotFound, restClient } from '../kube/rest.js';
import type { Io } from '../types/io.js';

const USAGE = 'usage: schedule-operator run <name> [-n namespace] [--kubeconfig path]';

export async function runNow(argv: string[], io: Io, env: Record<string, string | undefined> = process.env): Promise<number> {
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
  let kc: RestConfig;
  try {
    kc = loadKubeconfig({ kubeconfig, env });
  } catch (err) {
    io.stderr(`schedule-operator run: ${(err as Error).message}`);
    return 1;
  }
  const ns = namespace ?? kc.namespace;
  const token = io.now().toISOString();
  try {
    await annotateSchedule(restClient(kc), ns, name, { [ANNOTATION_RUN_REQUESTED_AT]: token });
  } catch (err) {
    const reason = isNotFound(err) ? `Schedule ${ns}/${name} not found` : (err as Error).message;
    io.stderr(`schedule-operator run: ${reason}`);
    return 1;
  }
  io.stdout(`run requested for Schedule ${ns}/${name} (token ${token}); watch it with: kubectl get sched ${name} -n ${ns} -w`);
  return 0;
}
