// The Go oracle from TypeScript: builds test/cron-oracle (robfig/cron v3, exactly as Kubernetes uses it) into
// ~/.cache/schedule-operator/cron-oracle when missing or older than its source, and asks it questions in
// one batch. Go is on every development machine and in CI; no network is needed once the robfig module is
// in the Go module cache.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoTool } from '../support/go-tool.js';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

export type OracleRequest =
  | { kind: 'next'; expr: string; zone: string; from: string; count: number }
  | { kind: 'parse'; expr: string }
  | { kind: 'zone'; zone: string }
  | { kind: 'zones' };

export interface OracleAnswer {
  ok?: boolean;
  error?: string;
  runs?: string[];
  zones?: string[];
}

/** buildOracle compiles the oracle unless an up-to-date binary exists; returns its path. */
export const buildOracle = (): string =>
  buildGoTool({ sourceDir: SOURCE_DIR, sources: ['main.go', 'go.mod', 'go.sum'], binary: 'cron-oracle' });

// The zone list is read from $GOROOT/lib/time/zoneinfo.zip (the file time/tzdata embeds). Go tools are built
// with -trimpath, which leaves runtime.GOROOT() empty, so the oracle is told where the toolchain lives.
let goroot: string | undefined;
const goRoot = (): string => {
  goroot ??= execFileSync('go', ['env', 'GOROOT'], { env: { ...process.env, GOTOOLCHAIN: 'local' } })
    .toString('utf8')
    .trim();
  return goroot;
};

/** askOracle sends all requests in one run and returns the answers in the same order. */
export function askOracle(requests: OracleRequest[]): OracleAnswer[] {
  const out = execFileSync(buildOracle(), [], {
    input: JSON.stringify(requests),
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GOROOT: goRoot() },
  });
  const answers = JSON.parse(out.toString('utf8')) as OracleAnswer[];
  if (answers.length !== requests.length) throw new Error(`oracle answered ${answers.length} of ${requests.length} requests`);
  return answers;
}
