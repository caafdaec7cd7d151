import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { migrate } from '@wikipulse/store';
import { storedDistinctIds, takeFreshEvents, waitForCommit } from '@wikipulse/testing';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { createSinkMetrics } from './metrics.js';
import { Sink } from './sink.js';

const DAY = 86_400_000;
const bus = testBus();
let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 30, owner: 'local' });
});
afterAll(async () => {
  await ch.close();
});

describe('rows past retention', () => {
  it('are counted and reported per batch, and the count is what ClickHouse did not store', async () => {
    const topic = uniqueName('backfill');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const now = Date.now();
    // Hours away from the cutoff on either side, so the test's own duration cannot move a row.
    const old = takeFreshEvents(300, {
      startMs: now - 45 * DAY,
      stepMs: 60_000,
    }) as unknown as RecentChange[];
    const recent = takeFreshEvents(200, {
      startMs: now - 2 * DAY,
      stepMs: 60_000,
    }) as unknown as RecentChange[];
    // Interleaved, so batches hold both kinds.
    const sent = old.flatMap((e, i) => (recent[i] ? [e, recent[i]] : [e]));
    const producer = await bus.producer();
    await producer.send(
      topic,
      sent.map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
    );
    await producer.close();

    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const registry = new Registry();
    const sink = new Sink({
      bus,
      topic,
      topicPartitions: 2,
      groupId,
      deadLetterTopic: uniqueName('dead'),
      client: ch.client,
      database: ch.database,
      batchMaxRows: 100,
      batchMaxWaitMs: 100,
      fetchMaxBytes: 64 * 1024,
      fetchMaxBytesPerPartition: 32 * 1024,
      partitionsConsumedConcurrently: 2,
      sessionTimeoutMs: 10_000,
      retryMaxMs: 1_000,
      log: createLogger({ name: 'sink-test', level: 'warn', destination }),
      metrics: createSinkMetrics(registry),
      onFatal: (error) => {
        throw error;
      },
    });
    await sink.start();
    await waitForCommit(bus, groupId, topic);
    await sink.stop();

    const counted =
      (await registry.getSingleMetric('wikipulse_sink_rows_past_retention_total')?.get())?.values[0]
        ?.value ?? 0;
    const stored = await storedDistinctIds(ch.client, ch.database);
    expect(counted).toBe(old.length);
    expect(stored).toEqual({ total: recent.length, distinct: recent.length });
    expect(counted + stored.distinct).toBe(sent.length);

    const warnings = lines.filter(
      (l) => l['msg'] === 'ClickHouse dropped rows already past retention at insert',
    );
    expect(warnings.length).toBeGreaterThan(1);
    expect(warnings.reduce((sum, w) => sum + (w['rows'] as number), 0)).toBe(old.length);
    expect(warnings.every((w) => w['retentionDays'] === 30)).toBe(true);
    const oldest = warnings.map((w) => w['oldestEventTime'] as string).sort()[0];
    expect(oldest).toBe(old[0]!.meta.dt);
  });
});
