import { afterAll, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import { JAVA_MURMUR2 } from './testing/murmur2.js';
import type { IncomingMessage, Producer, ProducerOptions } from './types.js';

const bus = testBus('wikipulse-producer-test');
const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
});

async function producer(options: ProducerOptions = {}): Promise<Producer> {
  const p = await bus.producer(options);
  producers.push(p);
  return p;
}

async function consumeAll(topic: string, count: number): Promise<IncomingMessage[]> {
  const consumer = await bus.consumer({ groupId: uniqueName('producer'), topics: [topic] });
  const received: IncomingMessage[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run(async (batch) => {
      received.push(...batch.messages);
      if (received.length >= count) resolve();
    });
  });
  await consumer.close();
  return received;
}

const valueOf = (m: IncomingMessage) => (JSON.parse(m.value!.toString()) as { n: number }).n;

describe('the producer on a real broker', () => {
  it.each(['none', 'gzip', 'zstd', 'lz4', 'snappy'] as const)(
    'delivers overlapping writes to several topics exactly once and in key order (%s)',
    async (compression) => {
      const topic = uniqueName('producer');
      const other = uniqueName('producer-other');
      await bus.ensureTopics([
        { topic, partitions: 3 },
        { topic: other, partitions: 1 },
      ]);
      const p = await producer({ compression });
      const writes: Promise<void>[] = [];
      for (let w = 0; w < 20; w++) {
        const messages = Array.from({ length: 100 }, (_, i) => ({
          key: `page-${i % 13}`,
          value: JSON.stringify({ n: w * 100 + i, title: 'Zürich 日本 '.repeat(20) }),
          headers: { write: String(w) },
        }));
        // Not awaited: later writes are handed over while earlier ones are in flight.
        writes.push(
          p.sendBatch([
            { topic, messages },
            { topic: other, messages: [{ key: null, value: `dead ${w}` }] },
          ]),
        );
      }
      await Promise.all(writes);

      const received = await consumeAll(topic, 2000);
      expect(received.map(valueOf).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 2000 }, (_, n) => n),
      );
      const byKey = new Map<string, number[]>();
      for (const m of received.sort((a, b) => Number(a.offset) - Number(b.offset))) {
        const list = byKey.get(m.key!.toString()) ?? [];
        list.push(valueOf(m));
        byKey.set(m.key!.toString(), list);
      }
      for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
      expect(new Set(received.map((m) => m.partition)).size).toBe(3);
      expect(received.every((m) => m.headers['write'] !== undefined)).toBe(true);
      expect(await consumeAll(other, 20)).toHaveLength(20);
    },
  );

  it("puts a key in the partition Java's client puts it in", async () => {
    const topic = uniqueName('producer-keys');
    await bus.ensureTopics([{ topic, partitions: 7 }]);
    const p = await producer();
    await p.send(
      topic,
      Object.keys(JAVA_MURMUR2).map((key) => ({ key, value: key })),
    );
    const received = await consumeAll(topic, 6);
    const placed = Object.fromEntries(received.map((m) => [m.key!.toString(), m.partition]));
    expect(placed).toEqual(
      Object.fromEntries(
        Object.entries(JAVA_MURMUR2).map(([key, hash]) => [key, (hash & 0x7fffffff) % 7]),
      ),
    );
  });

  it('fails a write to a missing topic with its name, and the next write succeeds', async () => {
    const p = await producer();
    const missing = uniqueName('missing');
    await expect(p.send(missing, [{ value: 'x' }])).rejects.toThrow(missing);
    expect(p.isHealthy()).toBe(false);
    const topic = uniqueName('producer-after');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    await p.send(topic, [{ value: '{"n":1}' }]);
    expect(p.isHealthy()).toBe(true);
    expect((await consumeAll(topic, 1)).map(valueOf)).toEqual([1]);
  });

  it('refuses a message larger than the topic accepts, says why, and writes the next one', async () => {
    const topic = uniqueName('producer-small');
    await bus.ensureTopics([{ topic, partitions: 1, config: { 'max.message.bytes': '2000' } }]);
    const p = await producer();
    await expect(p.send(topic, [{ value: 'x'.repeat(5000) }])).rejects.toThrow(/TOO_LARGE/);
    await p.send(topic, [{ value: '{"n":2}' }]);
    expect((await consumeAll(topic, 1)).map(valueOf)).toEqual([2]);
  });
});
