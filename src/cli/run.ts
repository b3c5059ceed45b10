// `schedule-operator run <name> [-n namespace]`: asks the operator for a run now by setting the
// run-requested-at annotation to a new token (the current time). The operator starts at most one Job per token.
// `schedule-operator resume <name> [-n namespace]` sets resume-requested-at the same way (a Schedule paused
// after failures runs again). Both need the right to create Jobs: the webhook refuses others, and its
// message is printed as it is, on one line.
// The cluster is found exactly as the controller finds it (src/kube/kubeconfig.ts).
import { ANNOTATION_RESUME_REQUESTED_AT, ANNOTATION_RUN_REQUESTED_AT } from '../api/schedule.js';
import { annotateSchedule } from '../kube/annotate.js';
import { loadKubeconfig, type RestConfig } from '../kube/kubeconfig.js';
import { isNotFound, restClient } from '../kube/rest.js';
import type { Io } from '../types/io.js';

export const runNow = (argv: string[], io: Io, env?: Record<string, string | undefined>): Promise<number> =>
  requestToken(ANNOTATION_RUN_REQUESTED_AT, 'run', argv, io, env);
export const resume = (argv: string[], io: Io, env?: Record<string, string | undefined>): Promise<number> =>
  requestToken(ANNOTATION_RESUME_REQUESTED_AT, 'resume', argv, io, env);

/** requestToken sets `annotation` on the named Schedule to a new token (the current time). */
export async function requestToken(
  annotation: string,
  command: 'run' | 'resume',
  argv: string[],
  io: Io,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const USAGE = `usage: schedule-operator ${command} <name> [-n namespace] [--kubeconfig path]`;
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
      io.stderr(`schedule-operator ${command}: unknown flag ${flag}; ${USAGE}`);
      return 2;
    } else if (name === undefined) name = arg;
    else {
      io.stderr(`schedule-operator ${command}: one Schedule name expected, got "${name}" and "${arg}"; ${USAGE}`);
      return 2;
    }
  }
  if (!name) {
    io.stderr(`schedule-operator ${command}: the Schedule name is missing; ${USAGE}`);
    return 2;
  }
  let kc: RestConfig;
  try {
    kc = loadKubeconfig({ kubeconfig, env });
  } catch (err) {
    io.stderr(`schedule-operator ${command}: ${(err as Error).message}`);
    return 1;
  }
  const ns = namespace ?? kc.namespace;
  const token = io.now().toISOString();
  try {
    await annotateSchedule(restClient(kc), ns, name, { [annotation]: token });
  } catch (err) {
    // A refusal by the webhook (403 or 422) arrives as the Status message "admission webhook ... denied the
    // request: <why and the fix>": printed as it is, on one line.
    const reason = isNotFound(err) ? `Schedule ${ns}/${name} not found` : (err as Error).message.replace(/\s*[\r\n]+\s*/g, ' ');
    io.stderr(`schedule-operator ${command}: ${reason}`);
    return 1;
  }
  io.stdout(`${command} requested for Schedule ${ns}/${name} (token ${token}); watch it with: kubectl get sched ${name} -n ${ns} -w`);
  return 0;
}
