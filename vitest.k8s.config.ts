import { defineConfig } from 'vitest/config';

// The API-server tests (`*.k8s.test.ts`): a real etcd and kube-apiserver besides Kafka and
// ClickHouse. Kept out of `vitest.config.ts` because they need the toolchain that
// `tools/k8s/install.sh` builds; `npm run test:k8s` installs it first.
const conditions = ['@wikipulse/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'k8s',
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    include: ['{apps,packages}/*/src/**/*.k8s.test.ts', 'grafana/src/**/*.k8s.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: [
      './packages/testing/src/global-setup.ts',
      './packages/testing/src/k8s/global-setup.ts',
    ],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
