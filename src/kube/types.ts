// The Kubernetes object shapes moved to src/types/kube.ts (the bottom layer). This re-export remains only so
// src/webhook/admit.ts, which another branch is changing, compiles unchanged; import from src/types/kube.ts.
export type * from '../types/kube.js';
