// krew from TypeScript: builds the version pinned in test/krew/go.mod into ~/.cache/schedule-operator/krew-<version>
// when missing or older than go.mod/go.sum (about 35 s cold on 2 cores, like the control plane's Go builds).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
const cacheRoot = () => process.env.SCHEDULE_OPERATOR_CACHE ?? join(homedir(), '.cache', 'schedule-operator');

/** buildKrew compiles krew unless an up-to-date binary exists; returns its path. */
export function buildKrew(): string {
  const version = /sigs\.k8s\.io\/krew (v\S+)/.exec(readFileSync(join(SOURCE_DIR, 'go.mod'), 'utf8'))?.[1];
  if (!version) throw new Error('test/krew/go.mod does not require sigs.k8s.io/krew');
  const bin = join(cacheRoot(), `krew-${version}`);
  const sources = ['go.mod', 'go.sum', 'tools.go'].map((f) => statSync(join(SOURCE_DIR, f)).mtimeMs);
  if (existsSync(bin) && statSync(bin).mtimeMs >= Math.max(...sources)) return bin;
  mkdirSync(dirname(bin), { recursive: true });
  execFileSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', bin, 'sigs.k8s.io/krew/cmd/krew'], {
    cwd: SOURCE_DIR,
    env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOCACHE: process.env.GOCACHE ?? join(cacheRoot(), 'go-build') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return bin;
}
