// Writes charts/schedule-operator/files/ledger-policy.yaml from ledgerFinalizerPolicy() (src/schedule/
// ledger-policy.ts), so the chart installs exactly the policy the operator's tests use. `make crds` runs it;
// test/unit/chart/chart-files.test.ts fails on drift.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ledgerFinalizerPolicy } from '../src/schedule/ledger-policy.js';

export const LEDGER_POLICY_FILE = fileURLToPath(new URL('../charts/schedule-operator/files/ledger-policy.yaml', import.meta.url));

/** renderLedgerPolicy is the exact text of the chart's files/ledger-policy.yaml: [policy, binding]. */
export function renderLedgerPolicy(): string {
  return `# Generated from src/schedule/ledger-policy.ts by \`make crds\` (hack/chart-ledger-policy.ts). Do not edit.\n${stringify(ledgerFinalizerPolicy(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(LEDGER_POLICY_FILE, renderLedgerPolicy());
  console.log('wrote charts/schedule-operator/files/ledger-policy.yaml');
}
