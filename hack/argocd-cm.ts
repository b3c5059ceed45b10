// Writes argocd/argocd-cm-patch.yaml from the Argo CD resource customizations under argocd/<group>/<Kind>/
// (health.lua, actions/discovery.lua, actions/<action>/action.lua: the layout of Argo CD's built-in checks),
// `make argocd-cm`; test/unit/argocd/health.test.ts fails when the patch drifts from them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** block indents a file as a YAML literal block scalar body. */
function block(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? pad + l : ''))
    .join('\n');
}

/** kinds lists the <group>/<Kind> folders under dir. */
function kinds(dir: string): Array<{ group: string; kind: string; path: string }> {
  return readdirSync(dir, { withFileTypes: true })
    .filter((g) => g.isDirectory())
    .flatMap((g) =>
      readdirSync(join(dir, g.name), { withFileTypes: true })
        .filter((k) => k.isDirectory())
        .map((k) => ({ group: g.name, kind: k.name, path: join(dir, g.name, k.name) })),
    )
    .sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

/** renderArgoCdPatch is the exact text of argocd/argocd-cm-patch.yaml for the customizations under dir. */
export function renderArgoCdPatch(dir: string): string {
  const entries: string[] = [];
  for (const { group, kind, path } of kinds(dir)) {
    const key = `${group}_${kind}`;
    if (existsSync(join(path, 'health.lua'))) {
      entries.push(`  resource.customizations.health.${key}: |\n${block(readFileSync(join(path, 'health.lua'), 'utf8'), 4)}`);
    }
    const actions = join(path, 'actions');
    if (existsSync(join(actions, 'discovery.lua'))) {
      const names = readdirSync(actions, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(actions, d.name, 'action.lua')))
        .map((d) => d.name)
        .sort();
      const definitions = names.map(
        (n) => `      - name: ${n}\n        action.lua: |\n${block(readFileSync(join(actions, n, 'action.lua'), 'utf8'), 10)}`,
      );
      entries.push(
        `  resource.customizations.actions.${key}: |\n    discovery.lua: |\n${block(readFileSync(join(actions, 'discovery.lua'), 'utf8'), 6)}\n    definitions:\n${definitions.join('\n')}`,
      );
    }
  }
  return `# Generated from argocd/<group>/<Kind>/ (health.lua, actions/) by \`make argocd-cm\`. Do not edit.
# Apply: kubectl -n argocd patch configmap argocd-cm --type merge --patch-file argocd/argocd-cm-patch.yaml
data:
${entries.join('\n')}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(root('argocd/argocd-cm-patch.yaml'), renderArgoCdPatch(root('argocd')));
  console.log('wrote argocd/argocd-cm-patch.yaml');
}
