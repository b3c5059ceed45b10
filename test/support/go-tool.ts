// The Go programs the tests ask (the robfig/cron oracle, the kstatus checker, krew) are built by one rule:
// compile the module in `sourceDir` into the shared cache (~/.cache/schedule-operator, or
// $SCHEDULE_OPERATOR_CACHE) when the binary is missing or older than any of its source files, with the
// control plane's settings (static, the local toolchain, modules from go.mod/go.sum).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const cacheRoot = (): string => process.env.SCHEDULE_OPERATOR_CACHE ?? join(homedir(), '.cache', 'schedule-operator');

export interface GoTool {
  /** sourceDir: the folder of the Go module. */
  sourceDir: string;
  /** sources: its files (relative to sourceDir) whose change means a rebuild. */
  sources: string[];
  /** binary: the file name in the cache. */
  binary: string;
  /** pkg: what to build (default: the module's own main package, "."). */
  pkg?: string;
  /** ldflags: linker flags, e.g. "-s -w". */
  ldflags?: string;
}

/** buildGoTool compiles the tool unless an up-to-date binary exists; returns its path. */
export function buildGoTool({ sourceDir, sources, binary, pkg = '.', ldflags }: GoTool): string {
  const bin = join(cacheRoot(), binary);
  const newest = Math.max(...sources.map((f) => statSync(join(sourceDir, f)).mtimeMs));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return bin;
  mkdirSync(dirname(bin), { recursive: true });
  execFileSync('go', ['build', '-trimpath', ...(ldflags ? ['-ldflags', ldflags] : []), '-o', bin, pkg], {
    cwd: sourceDir,
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-mod=mod',
      GOCACHE: process.env.GOCACHE ?? join(cacheRoot(), 'go-build'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return bin;
}
