// kubectl-schedule as one executable (`make plugin`, built by hack/plugin.ts): the client commands of src/cli.ts
// (next, run, resume, help, version) bundled into a copy of the node binary with Node's single-executable
// application support, so it runs where no Node is installed. The controller is left out of the bundle: it runs
// from the container image or the Helm chart.
import { main, processIo, USAGE } from '../cli.js';

type Io = typeof processIo;

/** CONTROLLER_REFUSED: what the standalone binary says to `controller` (or operator flags). */
export const CONTROLLER_REFUSED =
  'kubectl schedule: the controller is not part of this standalone binary; run the operator from the container image ' +
  'or the Helm chart (helm upgrade --install schedule-operator charts/schedule-operator), or `schedule-operator controller` ' +
  'from a checkout with Node.js 22 or newer';

/** pluginUsage is src/cli.ts's usage as `kubectl schedule` says it: without the controller line. */
export function pluginUsage(usage: string = USAGE): string {
  return usage
    .split('\n')
    .filter((line) => !line.includes('[controller]'))
    .map((line) => line.replace(/^(\s*)schedule-operator(?= )/, '$1kubectl schedule'))
    .join('\n');
}

/** pluginMain runs a client command and resolves to its exit status; `version` is the package version. */
export async function pluginMain(argv: string[], version: string, io: Io = processIo): Promise<number> {
  const [command] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(pluginUsage());
      return 0;
    case 'version':
    case '--version':
      io.stdout(`kubectl-schedule ${version} (schedule-operator client, single executable on Node ${process.version})`);
      return 0;
    case 'controller':
      io.stderr(CONTROLLER_REFUSED);
      return 2;
    default:
      // Flags before any command are the controller's (`schedule-operator --leader-elect ...`).
      if (command.startsWith('-')) {
        io.stderr(CONTROLLER_REFUSED);
        return 2;
      }
      return main(argv, io);
  }
}

// Set only in the bundle (hack/plugin.ts defines it), so importing this module in a test runs nothing.
declare const SCHEDULE_OPERATOR_PLUGIN_VERSION: string | undefined;
if (typeof SCHEDULE_OPERATOR_PLUGIN_VERSION === 'string') {
  pluginMain(process.argv.slice(2), SCHEDULE_OPERATOR_PLUGIN_VERSION).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      processIo.stderr(`kubectl schedule: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
