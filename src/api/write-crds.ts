// Writes crds/ from the zod schemas: `make crds`. test/unit/api/crd.test.ts fails when crds/ drifts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdYaml, CRD_FILE } from './crd-file.js';

const target = fileURLToPath(new URL(`../../${CRD_FILE}`, import.meta.url));
writeFileSync(target, renderCrdYaml());
console.log(`wrote ${CRD_FILE}`);
