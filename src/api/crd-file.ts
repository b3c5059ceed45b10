import { stringify } from 'yaml';
import { scheduleCrd } from './crd.js';

/** CRD_FILE is where the generated CRD lives, relative to the repository root. */
export const CRD_FILE = 'crds/schedule-operator.io_schedules.yaml';

/** renderCrdYaml is the exact text of CRD_FILE. */
export function renderCrdYaml(): string {
  return `# Generated from src/api/schedule.ts by \`make crds\`. Do not edit.\n${stringify(scheduleCrd(), { lineWidth: 0 })}`;
}
