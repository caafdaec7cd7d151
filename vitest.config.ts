import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests, so no build is needed
// between an edit and a test run.
const resolve = { conditions: ['@wikipulse/source'] };

export default defineConfig({
  resolve,
  test: {
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.k8s.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./packages/testing/src/global-setup.ts'],
          // Each file runs in its own process: the embedded ClickHouse engine takes one data
          // folder per process.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
