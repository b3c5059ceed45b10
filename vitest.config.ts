import { defineConfig } from 'vitest/config';

// Two depths of tests (style.md, principle 10):
//   unit        - pure functions and the reconciler against a recording fake client; no cluster.
//   integration - against the real control plane started by test/cluster (one per run, shared).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/cluster/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Files share one control plane; each gets its own namespace. Two workers fit 2 cores.
          maxWorkers: 2,
          minWorkers: 1,
        },
      },
    ],
  },
});
