import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests, so no build is needed
// between an edit and a test run.
const conditions = ['@wikipulse/source'];
// Vitest resolves modules for Node through the SSR resolver, which reads `ssr.resolve`.
const resolve = { conditions };
const ssr = { resolve: { conditions } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/src/**/*.test.ts', 'grafana/src/**/*.test.ts'],
          exclude: [
            '**/*.int.test.ts',
            '**/*.k8s.test.ts',
            '**/*.live.test.ts',
            '**/node_modules/**',
          ],
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/src/**/*.int.test.ts', 'grafana/src/**/*.int.test.ts'],
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
