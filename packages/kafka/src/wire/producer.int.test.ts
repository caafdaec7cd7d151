import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testBus, uniqueName } from '@wikipulse/testing/vitest';
import type { IncomingMessage, Producer } from '../types.js';
import { createWireProducer, type WireProducerOptions } from './producer.js';

const bus = testBus();
const producers: Producer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
});

async function producer(options: Partial<WireProducerOptions>) {
  const p = await createWireProducer({
    brokers: kafkaBrokers(),
    clientId: 'wikipulse-wire-test',
    ...options,
  });
  producers.push(p);
  return p;
}

async function consumeAll(topic: string, count: number): Promise<IncomingMessage[]> {
  const consumer = await bus.consumer({
    groupId: uniqueName('wire'),
    topics: [topic],
    fromBeginning: true,
  });
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

describe('the wire producer on a real broker', () => {
  it.each(['none', 'gzip'] as const)(
    'delivers overlapping writes split over many batches exactly once and in key order (%s)',
    async (compression) => {
      const topic = uniqueName('wire');
      const other = uniqueName('wire-other');
      await bus.ensureTopics([
        { topic, partitions: 3 },
        { topic: other, partitions: 1 },
      ]);
      const p = await producer({ compression, maxBatchBytes: 20_000 });
      const writes: Promise<void>[] = [];
      for (let w = 0; w < 20; w++) {
        const messages = Array.from({ length: 100 }, (_, i) => ({
          key: `page-${i % 13}`,
          value: JSON.stringify({ n: w * 100 + i, title: 'Zürich 日本 '.repeat(20) }),
          headers: { write: String(w) },
        }));
        // Not awaited: the next write is encoded while earlier ones are in flight.
        writes.push(
          p.sendBatch([
            { topic, messages },
            { topic: other, messages: [{ key: null, value: `dead ${w}` }] },
          ]),
        );
      }
      await Promise.all(writes);

      const received = await consumeAll(topic, 2000);
      const numbers = received.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n);
      expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, n) => n));
      const byKey = new Map<string, number[]>();
      for (const m of received.sort((a, b) => Number(a.offset) - Number(b.offset))) {
        const list = byKey.get(m.key!.toString()) ?? [];
        list.push((JSON.parse(m.value!.toString()) as { n: number }).n);
        byKey.set(m.key!.toString(), list);
      }
      for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
      expect(new Set(received.map((m) => m.partition)).size).toBe(3);
      expect((await consumeAll(other, 20)).map((m) => m.value!.toString()).sort()).toHaveLength(20);
    },
  );

  it('fails a write to a missing topic with its name, and stays usable', async () => {
    const p = await producer({ deliveryTimeoutMs: 1_000 });
    const missing = uniqueName('missing');
    await expect(p.send(missing, [{ value: 'x' }])).rejects.toThrow(
      `topic ${missing} does not exist`,
    );
    const topic = uniqueName('wire-after');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    await p.send(topic, [{ value: 'y' }]);
    expect((await consumeAll(topic, 1)).map((m) => m.value!.toString())).toEqual(['y']);
  });

  it('refuses a batch the broker refuses, says why, and fails every later write', async () => {
    const topic = uniqueName('wire-small');
    await bus.ensureTopics([{ topic, partitions: 1, config: { 'max.message.bytes': '2000' } }]);
    const p = await producer({});
    await expect(p.send(topic, [{ value: 'x'.repeat(5000) }])).rejects.toThrow(
      /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/,
    );
    await expect(p.send(topic, [{ value: 'small' }])).rejects.toThrow(/TOO_LARGE/);
  });
});
