import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import { Registry, startOpsServer } from '@wikipulse/metrics';
import { dropDatabase, migrate } from '@wikipulse/store';
import { storedDistinctIds, takeFreshEvents, waitForCommit } from '@wikipulse/testing';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { createSinkMetrics } from './metrics.js';
import { sinkReadiness, startWhenSchemaReady } from './schema-gate.js';
import { Sink } from './sink.js';

const bus = testBus();
let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

describe('a sink started before its schema exists', () => {
  it('is not ready and says why, then consumes once the owner has migrated, without a restart', async () => {
    // A database nobody has created yet: the sink must neither create nor migrate it.
    const database = uniqueName('unmigrated');
    const topic = uniqueName('changes');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const events = takeFreshEvents(200, {
      startMs: Date.now() - 3_600_000,
      stepMs: 1_000,
    }) as unknown as RecentChange[];
    const producer = await bus.producer();
    await producer.send(
      topic,
      events.map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
    );
    await producer.close();

    const log = createLogger({ name: 'sink-test', level: 'silent' });
    const sink = new Sink({
      bus,
      topic,
      topicPartitions: 2,
      groupId,
      deadLetterTopic: uniqueName('dead'),
      client: ch.client,
      database,
      batchMaxRows: 500,
      batchMaxWaitMs: 100,
      fetchMaxBytes: 1024 * 1024,
      fetchMaxBytesPerPartition: 256 * 1024,
      partitionsConsumedConcurrently: 2,
      sessionTimeoutMs: 10_000,
      retryMaxMs: 1_000,
      log,
      metrics: createSinkMetrics(new Registry()),
      onFatal: (error) => {
        throw error;
      },
    });
    const lines: { fields: object; message: string }[] = [];
    const record = (fields: object, message: string) => lines.push({ fields, message });
    const stop = new AbortController();
    const gate = startWhenSchemaReady(sink, {
      client: ch.client,
      database,
      signal: stop.signal,
      intervalMs: 100,
      log: { info: record, warn: record },
    });
    const ops = await startOpsServer({
      registry: new Registry(),
      port: 0,
      host: '127.0.0.1',
      readiness: sinkReadiness(sink, gate),
    });
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      return { status: response.status, body: await response.json() };
    };

    try {
      const reason = `database ${database} does not exist: migrations not applied`;
      await vi.waitFor(async () =>
        expect(await readyz()).toEqual({
          status: 503,
          body: {
            ready: false,
            checks: { schema: false, kafka: false, clickhouse: false },
            reasons: { schema: reason },
          },
        }),
      );
      // Waiting longer writes no second line for the same reason, and creates nothing.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(lines).toEqual([
        {
          fields: { database, reason },
          message: 'schema not there yet; not ready, checking again',
        },
      ]);
      const created = await ch.client.query({
        query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await created.json()).toEqual([{ n: 0 }]);

      await migrate(ch.client, { database, retentionDays: 3650, owner: 'local' });
      expect(await gate.started).toBe(true);
      await waitForCommit(bus, groupId, topic);
      await vi.waitFor(async () => expect((await readyz()).status).toBe(200), {
        timeout: 20_000,
      });
      expect(lines.at(-1)?.message).toBe('schema ready');
      const stored = await storedDistinctIds(ch.client, database);
      expect(stored.distinct).toBe(events.length);
    } finally {
      stop.abort();
      await sink.stop();
      await ops.close();
      await dropDatabase(ch.client, database);
    }
  });
});
