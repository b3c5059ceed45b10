// Writes argocd/argocd-cm-patch.yaml from argocd/health-schedule.lua (`make argocd-cm`);
// test/unit/argocd/health.test.ts fails when the two drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** renderArgoCdPatch is the exact text of argocd/argocd-cm-patch.yaml. */
export function renderArgoCdPatch(lua: string): string {
  const body = lua.trimEnd().split('\n').map((l) => (l ? `    ${l}` : '')).join('\n');
  return `# Generated from argocd/health-schedule.lua by \`make argocd-cm\`. Do not edit.
# Apply: kubectl -n argocd patch configmap argocd-cm --type merge --patch-file argocd/argocd-cm-patch.yaml
data:
  resource.customizations.health.schedule-operator.io_Schedule: |
${body}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(root('argocd/argocd-cm-patch.yaml'), renderArgoCdPatch(readFileSync(root('argocd/health-schedule.lua'), 'utf8')));
  console.log('wrote argocd/argocd-cm-patch.yaml');
}
