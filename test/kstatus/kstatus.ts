// kstatus from TypeScript: builds test/kstatus (sigs.k8s.io/cli-utils/pkg/kstatus, the library Flux, kpt and
// cli-utils compute health with) into ~/.cache/schedule-operator/kstatus-check when missing or older than its
// source, and asks it about a batch of objects.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoTool } from '../support/go-tool.js';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/** KstatusAnswer is kstatus' verdict on one object: Current, InProgress, Failed, Terminating, NotFound or Unknown. */
export interface KstatusAnswer {
  name: string;
  status: string;
  message: string;
  error?: string;
}

const build = () => buildGoTool({ sourceDir: SOURCE_DIR, sources: ['main.go', 'go.mod', 'go.sum'], binary: 'kstatus-check' });

/** kstatus computes kstatus for each object, in order. */
export function kstatus(objects: unknown[]): KstatusAnswer[] {
  const out = execFileSync(build(), [], { input: JSON.stringify(objects), maxBuffer: 64 * 1024 * 1024 });
  const answers = JSON.parse(out.toString('utf8')) as KstatusAnswer[];
  if (answers.length !== objects.length) throw new Error(`kstatus-check answered ${answers.length} of ${objects.length} objects`);
  return answers;
}
