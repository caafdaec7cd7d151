import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { migrate, toChangeRow } from '@wikipulse/store';
import type { RecentChange } from '@wikipulse/events';
import type { IncomingMessage, OutgoingMessage } from '@wikipulse/kafka';
import {
  expectedDailyCounts,
  storedDailyCounts,
  storedDistinctIds,
  takeFreshEvents,
  waitForCommit,
} from '@wikipulse/testing';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { createSinkMetrics } from './metrics.js';
import { Sink } from './sink.js';

const bus = testBus();
let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
});
afterAll(async () => {
  await ch.close();
});

function startSink(topic: string, groupId: string, deadLetterTopic: string, registry: Registry) {
  const sink = new Sink({
    bus,
    topic,
    topicPartitions: 3,
    groupId,
    deadLetterTopic,
    client: ch.client,
    database: ch.database,
    batchMaxRows: 700,
    batchMaxWaitMs: 100,
    fetchMaxBytes: 1024 * 1024,
    fetchMaxBytesPerPartition: 256 * 1024,
    partitionsConsumedConcurrently: 3,
    sessionTimeoutMs: 10_000,
    retryMaxMs: 1_000,
    log: createLogger({ name: 'sink-test', level: 'silent' }),
    metrics: createSinkMetrics(registry),
    onFatal: (error) => {
      throw error;
    },
  });
  return sink;
}

async function readAll(topic: string, count: number): Promise<IncomingMessage[]> {
  const consumer = await bus.consumer({ groupId: uniqueName('dlq-reader'), topics: [topic] });
  const got: IncomingMessage[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run(async (batch) => {
      got.push(...batch.messages);
      if (got.length >= count) resolve();
    });
  });
  await consumer.close();
  return got;
}

describe('sink on real Kafka and the real ClickHouse engine', () => {
  it('stores each event once and counts exactly despite duplicates and a redelivered partition; poison goes to the dead-letter topic', async () => {
    const topic = uniqueName('changes');
    const deadLetterTopic = uniqueName('dead');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 3 }]);

    // Two and a half days of events, so per-day counts cross midnight.
    const events = takeFreshEvents(3_000, {
      startMs: Date.UTC(2026, 10, 20, 6),
      stepMs: 72_000,
    }) as unknown as RecentChange[];
    const messages: OutgoingMessage[] = events.map((e) => ({
      key: e.meta.id,
      value: JSON.stringify(e),
    }));
    // The source sending events again, under the same key (so to the same partition) and not.
    const resent = events.filter((_, i) => i % 10 === 0).map((e) => JSON.stringify(e));
    messages.push(...resent.map((value, i) => ({ key: i % 2 ? null : 'again', value })));

    const poison = {
      notJson: '{"meta": ',
      notObject: '[1,2]',
      schema: JSON.stringify({ meta: { dt: '2026-11-21T00:00:00Z' } }),
      missingId: JSON.stringify({ ...events[0], meta: { ...events[0]!.meta, id: 'nope' } }),
      refused: JSON.stringify({
        ...events[1],
        meta: { ...events[1]!.meta, id: '00000000-0000-4000-8000-00000000dead' },
        revision: { old: 1, new: -5 },
      }),
    };
    const canary = JSON.stringify({
      ...events[2],
      meta: { ...events[2]!.meta, id: '00000000-0000-4000-8000-0000000ca4a7', domain: 'canary' },
    });
    messages.push(...Object.values(poison).map((value) => ({ key: 'poison', value })));
    messages.push({ key: 'canary', value: canary });

    const producer = await bus.producer();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send(topic, messages.slice(i, i + 500));
    }
    await producer.close();

    const registry = new Registry();
    const first = startSink(topic, groupId, deadLetterTopic, registry);
    await first.start();
    await waitForCommit(bus, groupId, topic);
    expect(first.readiness()).toEqual({ kafka: true, clickhouse: true });
    await first.stop();

    // Redelivery: the group is moved back to the start of partition 0, as after a crash that
    // lost every commit of that partition.
    await bus.setCommittedOffsets(groupId, topic, new Map([[0, '0']]));
    const second = startSink(topic, groupId, deadLetterTopic, new Registry());
    await second.start();
    await waitForCommit(bus, groupId, topic);
    await second.stop();

    const sentIds = new Set(events.map((e) => e.meta.id));
    const stored = await storedDistinctIds(ch.client, ch.database);
    expect(stored.total).toBe(sentIds.size);
    expect(stored.distinct).toBe(sentIds.size);
    expect(await storedDailyCounts(ch.client, ch.database)).toEqual(
      expectedDailyCounts(events.map((e) => toChangeRow(e))),
    );

    const sample = events[7]!;
    const stored7 = await ch.client.query({
      query: `SELECT extra, title FROM ${ch.database}.changes FINAL WHERE event_id = {id:UUID}`,
      query_params: { id: sample.meta.id },
      format: 'JSONEachRow',
    });
    const [row7] = await stored7.json<{ extra: string; title: string }>();
    expect(row7?.title).toBe(sample.title);
    expect(row7?.extra).toBe(JSON.stringify(toChangeRow(sample).extra));

    const dead = await readAll(deadLetterTopic, Object.keys(poison).length);
    const byReason = new Map(dead.map((m) => [m.headers['reason'], m]));
    expect([...byReason.keys()].sort()).toEqual(
      ['invalid_json', 'missing_id', 'not_an_object', 'refused_by_clickhouse', 'schema'].sort(),
    );
    const refused = byReason.get('refused_by_clickhouse')!;
    expect(refused.value?.toString()).toBe(poison.refused);
    expect(refused.headers['source-topic']).toBe(topic);
    expect(refused.headers['dead-lettered-by']).toBe('wikipulse-sink');
    expect(refused.headers['detail']).toMatch(/revision_new/);
    expect(Number(refused.headers['source-offset'])).toBeGreaterThanOrEqual(0);
    expect(byReason.get('invalid_json')!.value?.toString()).toBe(poison.notJson);

    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string, labels: Record<string, string> = {}) =>
      metrics
        .find((m) => m.name === name)
        ?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((sum, v) => sum + v.value, 0);
    expect(value('wikipulse_sink_dead_lettered_total')).toBe(5);
    expect(value('wikipulse_sink_skipped_total', { reason: 'canary' })).toBe(1);
    expect(value('wikipulse_sink_consumer_lag_messages')).toBe(0);
    expect(value('wikipulse_sink_rows_inserted_total')).toBeGreaterThanOrEqual(
      events.length + resent.length,
    );
  });

  it('waits out an unavailable ClickHouse: not ready, nothing committed, then everything lands once', async () => {
    const topic = uniqueName('outage');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const events = takeFreshEvents(400, {
      startMs: Date.UTC(2026, 10, 25),
      stepMs: 1_000,
    }) as unknown as RecentChange[];
    const producer = await bus.producer();
    await producer.send(
      topic,
      events.map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
    );
    await producer.close();

    // The table going away is what a ClickHouse outage looks like to the insert: an error
    // that is not about the data.
    await ch.client.command({ query: `DETACH TABLE ${ch.database}.changes` });
    const registry = new Registry();
    const sink = startSink(topic, groupId, uniqueName('dead'), registry);
    await sink.start();
    const failures = async () =>
      (await registry.getSingleMetric('wikipulse_sink_errors_total')?.get())?.values.find(
        (v) => v.labels['kind'] === 'clickhouse_unavailable',
      )?.value ?? 0;
    while ((await failures()) < 3) await new Promise((r) => setTimeout(r, 100));
    expect(sink.readiness().clickhouse).toBe(false);
    expect([...(await bus.committedOffsets(groupId, topic)).values()]).toEqual(['-1', '-1']);

    await ch.client.command({ query: `ATTACH TABLE ${ch.database}.changes` });
    await waitForCommit(bus, groupId, topic);
    expect(sink.readiness()).toEqual({ kafka: true, clickhouse: true });
    await sink.stop();

    const result = await ch.client.query({
      query: `SELECT count() AS n FROM ${ch.database}.changes FINAL WHERE event_id IN {ids:Array(UUID)}`,
      query_params: { ids: events.map((e) => e.meta.id) },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: events.length }]);
  });

  it('shares the partitions of a topic between two sinks of one group', async () => {
    const topic = uniqueName('shared');
    const groupId = uniqueName('sink');
    await bus.ensureTopics([{ topic, partitions: 4 }]);
    const events = takeFreshEvents(2_000, {
      startMs: Date.UTC(2026, 10, 26),
      stepMs: 1_000,
    }) as unknown as RecentChange[];

    const registries = [new Registry(), new Registry()];
    const sinks = registries.map((r) => startSink(topic, groupId, uniqueName('dead'), r));
    await Promise.all(sinks.map((s) => s.start()));
    // Both members hold partitions before any message exists, so neither drains the topic alone.
    for (;;) {
      const group = await bus.describeGroup(groupId);
      if (group.state === 'Stable' && group.members === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const producer = await bus.producer();
    for (let i = 0; i < events.length; i += 500) {
      await producer.send(
        topic,
        events.slice(i, i + 500).map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
      );
    }
    await producer.close();
    await waitForCommit(bus, groupId, topic);
    await Promise.all(sinks.map((s) => s.stop()));

    const consumed = await Promise.all(
      registries.map(
        async (r) =>
          (await r.getSingleMetric('wikipulse_sink_messages_consumed_total')?.get())?.values[0]
            ?.value ?? 0,
      ),
    );
    expect(consumed.every((n) => n > 0)).toBe(true);
    const result = await ch.client.query({
      query: `SELECT count() AS n FROM ${ch.database}.changes FINAL WHERE event_id IN {ids:Array(UUID)}`,
      query_params: { ids: events.map((e) => e.meta.id) },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: events.length }]);
  });
});
