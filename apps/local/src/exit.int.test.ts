import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, startApp } from '@wikipulse/testing';

/**
 * `npm start` as a terminal runs it (stdin open), stopped with SIGTERM sent to npm while the
 * replay keeps the embedded engine inserting; then started again on the same data folder and
 * stopped again. npm hands the signal on to the program, whose status it returns.
 */

/** The embedded defaults: no Kafka, no ClickHouse server, whatever the test run itself uses. */
const localEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => name !== 'KAFKA_BROKERS' && name !== 'CLICKHOUSE_URL',
  ),
);

let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start stopped with SIGTERM', () => {
  it('exits with status 0, twice on the same data folder', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-local-exit-'));
    for (let run = 1; run <= 2; run += 1) {
      const local = startApp(['start', '--silent', '--', '--replay'], {
        command: 'npm',
        env: {
          ...localEnv,
          DATA_DIR: dataDir,
          PORT: '0',
          REPLAY_RATE: '2000',
          PROGRESS_INTERVAL_S: '1',
        },
        cwd: repoRoot,
        stdin: 'pipe',
      });
      await local.line(/HTTP API on http:/, { timeoutMs: 90_000 });
      await local.line(/events ingested .* [1-9][\d,]* rows stored/);
      const exit = await local.stop('SIGTERM');
      expect(exit, local.tail()).toEqual({ code: 0, signal: null });
    }
  });
});
