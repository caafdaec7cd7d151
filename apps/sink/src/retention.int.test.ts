import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { createLogger, type Logger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { migrate } from '@wikipulse/store';
import { storedDistinctIds, takeFreshEvents, waitForCommit } from '@wikipulse/testing';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { createApp } from './app.js';
import { loadSinkConfig } from './env.js';
import { createSinkMetrics } from './metrics.js';
import { Sink } from './sink.js';

const DAY = 86_400_000;
const WARNING = 'ClickHouse dropped rows already past retention at insert';
const bus = testBus();
let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 30, owner: 'local' });
});
afterAll(async () => {
  await ch.close();
});

/** A logger at `warn` whose lines the test reads back, parsed. */
function capturedLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ name: 'sink-test', level: 'warn', destination }), lines };
}

async function countedPastRetention(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric('wikipulse_sink_rows_past_retention_total');
  return (await metric?.get())?.values[0]?.value ?? 0;
}

async function send(topic: string, events: readonly RecentChange[]): Promise<void> {
  const producer = await bus.producer();
  await producer.send(
    topic,
    events.map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
  );
  await producer.close();
}

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
    await send(topic, sent);

    const { log, lines } = capturedLog();
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
      log,
      metrics: createSinkMetrics(registry),
      onFatal: (error) => {
        throw error;
      },
    });
    await sink.start();
    await waitForCommit(bus, groupId, topic);
    await sink.stop();

    const counted = await countedPastRetention(registry);
    const stored = await storedDistinctIds(ch.client, ch.database);
    expect(counted).toBe(old.length);
    expect(stored).toEqual({ total: recent.length, distinct: recent.length });
    expect(counted + stored.distinct).toBe(sent.length);

    const warnings = lines.filter((l) => l['msg'] === WARNING);
    expect(warnings.length).toBeGreaterThan(1);
    expect(warnings.reduce((sum, w) => sum + (w['rows'] as number), 0)).toBe(old.length);
    expect(warnings.every((w) => w['retentionDays'] === 30)).toBe(true);
    const oldest = warnings.map((w) => w['oldestEventTime'] as string).sort()[0];
    expect(oldest).toBe(old[0]!.meta.dt);
  });

  it("are judged on the app's clock: a sink whose clock is 60 days ahead counts fresh rows", async () => {
    const topic = uniqueName('clocked');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    // Two days old by the machine's clock, 62 by the sink's: past the 30-day retention.
    const events = takeFreshEvents(50, {
      startMs: Date.now() - 2 * DAY,
      stepMs: 60_000,
    }) as unknown as RecentChange[];
    await send(topic, events);

    const { log, lines } = capturedLog();
    const registry = new Registry();
    const config = loadSinkConfig({
      TOPIC: topic,
      TOPIC_PARTITIONS: '1',
      GROUP_ID: groupId,
      DEAD_LETTER_TOPIC: uniqueName('dead'),
      CLICKHOUSE_DATABASE: ch.database,
      BATCH_MAX_WAIT_MS: '100',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    });
    const before = await storedDistinctIds(ch.client, ch.database);
    const sink = createApp(config, {
      bus,
      clickhouse: ch.client,
      log,
      registry,
      onFatal: (error) => {
        throw error;
      },
      clock: () => new Date(Date.now() + 60 * DAY),
    });
    await sink.start();
    await waitForCommit(bus, groupId, topic);
    await sink.close();

    expect(await countedPastRetention(registry)).toBe(events.length);
    const warnings = lines.filter((l) => l['msg'] === WARNING);
    expect(warnings.reduce((sum, w) => sum + (w['rows'] as number), 0)).toBe(events.length);
    // ClickHouse applies the TTL on its own clock, the machine's, and so kept every row: the
    // count above is the sink's reading of its clock, not of the data.
    const after = await storedDistinctIds(ch.client, ch.database);
    expect(after.distinct - before.distinct).toBe(events.length);
  });
});
