import { defineConfig } from 'vitest/config';

// The live observability check (`*.live.test.ts`): a real Prometheus scraping the apps. Kept
// out of `vitest.config.ts` because it needs Debian's prometheus and built apps;
// `npm run check:observability` installs and builds first.
const conditions = ['@wikipulse/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'observability',
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    include: ['grafana/src/**/*.live.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
