// krew from TypeScript: builds the version pinned in test/krew/go.mod into ~/.cache/schedule-operator/krew-<version>
// when missing or older than go.mod/go.sum (about 35 s cold on 2 cores, like the control plane's Go builds).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoTool } from '../support/go-tool.js';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/** buildKrew compiles krew unless an up-to-date binary exists; returns its path. */
export function buildKrew(): string {
  const version = /sigs\.k8s\.io\/krew (v\S+)/.exec(readFileSync(join(SOURCE_DIR, 'go.mod'), 'utf8'))?.[1];
  if (!version) throw new Error('test/krew/go.mod does not require sigs.k8s.io/krew');
  return buildGoTool({
    sourceDir: SOURCE_DIR,
    sources: ['go.mod', 'go.sum', 'tools.go'],
    binary: `krew-${version}`,
    pkg: 'sigs.k8s.io/krew/cmd/krew',
    ldflags: '-s -w',
  });
}
