// The schedule-operator command line: `controller` (default), `next`, `run`, `resume`.
// Subcommands load lazily, so `next` needs neither a cluster nor the Kubernetes client.
import { readFileSync } from 'node:fs';
import { realClock } from './clock.js';
import type { Io } from './types/io.js';

export const USAGE = `schedule-operator - Schedules reconciled into Kubernetes CronJobs

Usage:
  schedule-operator [controller] [flags]     run the operator (see \`schedule-operator controller --help\`)
  schedule-operator next <schedule> [--time-zone Z] [--from RFC3339] [--count N]
                                             print the next run instants, as the CronJob controller starts them
  schedule-operator run <name> [-n namespace] start a run now (sets the schedule-operator.io/run-requested-at annotation)
  schedule-operator resume <name> [-n namespace]
                                             resume a Schedule paused after failures (sets schedule-operator.io/resume-requested-at)
  schedule-operator version

KUBECONFIG (or --kubeconfig) chooses the cluster. Installed as kubectl-schedule, \`kubectl schedule ...\` works too.`;

export const processIo: Io = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  now: realClock.now,
};

/** main runs the command and resolves to its exit status (the controller resolves when it stops). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'next': {
      const { runNext } = await import('./cli/next.js');
      return runNext(rest, io);
    }
    case 'run': {
      const { runNow } = await import('./cli/run.js');
      return runNow(rest, io);
    }
    case 'resume': {
      const { resume } = await import('./cli/run.js');
      return resume(rest, io);
    }
    case 'version':
    case '--version':
      io.stdout(version());
      return 0;
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return 0;
    case undefined:
    case 'controller':
      return startController(rest, io);
    default:
      if (command.startsWith('-')) return startController(argv, io);
      io.stderr(`schedule-operator: unknown command "${command}"; run \`schedule-operator --help\` for the commands`);
      return 2;
  }
}

async function startController(argv: string[], io: Io): Promise<number> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    io.stderr(
      `schedule-operator controller needs Node.js 22 or newer (this is ${process.version}); \`make run\` uses Node 24 from the project cache`,
    );
    return 1;
  }
  const { runController } = await import('./main.js');
  return runController(argv, io);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `schedule-operator ${pkg.version}`;
}
