// kstatus from TypeScript: builds test/kstatus (sigs.k8s.io/cli-utils/pkg/kstatus, the library Flux, kpt and
// cli-utils compute health with) into ~/.cache/schedule-operator/kstatus-check when missing or older than its
// source, and asks it about a batch of objects.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
const BIN = join(homedir(), '.cache', 'schedule-operator', 'kstatus-check');

/** KstatusAnswer is kstatus' verdict on one object: Current, InProgress, Failed, Terminating, NotFound or Unknown. */
export interface KstatusAnswer {
  name: string;
  status: string;
  message: string;
  error?: string;
}

function build(): string {
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => statSync(join(SOURCE_DIR, f)).mtimeMs);
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= Math.max(...sources)) return BIN;
  mkdirSync(dirname(BIN), { recursive: true });
  execFileSync('go', ['build', '-o', BIN, '.'], {
    cwd: SOURCE_DIR,
    env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return BIN;
}

/** kstatus computes kstatus for each object, in order. */
export function kstatus(objects: unknown[]): KstatusAnswer[] {
  const out = execFileSync(build(), [], { input: JSON.stringify(objects), maxBuffer: 64 * 1024 * 1024 });
  const answers = JSON.parse(out.toString('utf8')) as KstatusAnswer[];
  if (answers.length !== objects.length) throw new Error(`kstatus-check answered ${answers.length} of ${objects.length} objects`);
  return answers;
}
