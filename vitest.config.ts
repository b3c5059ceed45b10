import { defineConfig } from 'vitest/config';

// Two projects for the three depths of tests (docs/architecture.md, section 6):
//   unit        - pure functions and the reconciler against a recording fake client; no cluster.
//   integration - against the real control plane started by test/cluster (one per run, shared).
export default defineConfig({
  test: {
    // Integration files share one control plane, each in its own namespace. Two workers fit 2 cores.
    // (Worker limits are run-wide options: vitest rejects them inside a project.)
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/cron-oracle/global-setup.ts'],
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
        },
      },
    ],
  },
});
