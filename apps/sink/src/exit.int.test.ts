import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { repoRoot, startApp, takeFreshEvents } from '@wikipulse/testing';
import { kafkaBrokers, testBus, uniqueName } from '@wikipulse/testing/vitest';

/**
 * The sink with the embedded engine, stopped with SIGTERM while it works through a backlog: a
 * stop that leaves an insert running when the process exits ends it with a segmentation fault
 * in the engine instead of status 0.
 */
const EVENTS = 20_000;
const STOPS = 3;
const mainJs = join(repoRoot, 'apps', 'sink', 'dist', 'main.js');
const migrateJs = join(repoRoot, 'apps', 'sink', 'dist', 'migrate.js');

const bus = testBus();
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('sink stopped with SIGTERM', () => {
  it('exits with status 0 each time, mid-backlog', async () => {
    const topic = uniqueName('exit');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    cleanup.push(async () => {
      await bus.deleteTopics([topic]);
    });
    const events = takeFreshEvents(EVENTS, {
      startMs: Date.now() - 86_400_000,
      stepMs: 1_000,
    }) as unknown as RecentChange[];
    const producer = await bus.producer();
    for (let i = 0; i < events.length; i += 1_000) {
      await producer.send(
        topic,
        events.slice(i, i + 1_000).map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
      );
    }
    await producer.close();

    const path = await mkdtemp(join(tmpdir(), 'wikipulse-sink-exit-'));
    cleanup.push(() => rm(path, { recursive: true, force: true }));
    const env = {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      TOPIC_PARTITIONS: '3',
      GROUP_ID: uniqueName('exit-sink'),
      DEAD_LETTER_TOPIC: uniqueName('exit-dead'),
      CLICKHOUSE_PATH: path,
      CLICKHOUSE_URL: '',
      CLICKHOUSE_DATABASE: uniqueName('wikipulse_exit'),
      BATCH_MAX_ROWS: '1000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    };
    // The sink runs no DDL: its database's owner migrates first, as `npm run migrate` does.
    await promisify(execFile)(process.execPath, [migrateJs], { env });
    // Each run resumes where the last stopped, so every stop lands among inserts.
    for (let run = 1; run <= STOPS; run += 1) {
      const sink = startApp([mainJs], { env });
      await sink.line(/"batch inserted"/, { count: run });
      const exit = await sink.stop('SIGTERM');
      expect(exit, sink.tail()).toEqual({ code: 0, signal: null });
      expect(sink.tail()).toMatch(/"msg":"stopped"/);
    }
  });
});
