import { afterAll, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import type { Consumer, IncomingMessage } from './index.js';

const bus = testBus();
const consumers: Consumer[] = [];
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.close()));
});

/** Consumes until `count` messages arrived, then closes the consumer. */
async function consume(groupId: string, topic: string, count: number): Promise<IncomingMessage[]> {
  const consumer = await bus.consumer({ groupId, topics: [topic] });
  consumers.push(consumer);
  const received: IncomingMessage[] = [];
  const done = new Promise<void>((resolve) => {
    void consumer.run(async (batch) => {
      received.push(...batch.messages);
      if (received.length >= count) resolve();
    });
  });
  await done;
  await consumer.close();
  return received;
}

describe('Kafka bus on a real broker', () => {
  it('produces a batch, consumes it in a group, and a restarted consumer resumes after the commit', async () => {
    const topic = uniqueName('smoke');
    const groupId = uniqueName('group');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    await bus.ensureTopics([{ topic, partitions: 3 }]);

    const producer = await bus.producer();
    const first = Array.from({ length: 100 }, (_, i) => ({
      key: `k${i % 7}`,
      value: JSON.stringify({ n: i }),
      headers: { source: 'smoke' },
    }));
    await producer.send(topic, first);

    const got = await consume(groupId, topic, 100);
    expect(
      got.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n).sort((a, b) => a - b),
    ).toEqual(first.map((_, i) => i));
    expect(got.every((m) => m.headers['source'] === 'smoke')).toBe(true);

    const committed = await bus.committedOffsets(groupId, topic);
    const end = await bus.endOffsets(topic);
    expect(committed).toEqual(end);

    const second = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i}`,
      value: `{"n":${100 + i}}`,
    }));
    await producer.send(topic, second);
    await producer.close();

    const resumed = await consume(groupId, topic, 20);
    expect(
      resumed
        .map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n)
        .sort((a, b) => a - b),
    ).toEqual(second.map((_, i) => 100 + i));
  });

  it('does not commit a batch whose handler failed: it is delivered again', async () => {
    const topic = uniqueName('redeliver');
    const groupId = uniqueName('group');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(topic, [{ value: 'a' }, { value: 'b' }]);
    await producer.close();

    const consumer = await bus.consumer({ groupId, topics: [topic] });
    consumers.push(consumer);
    const seen: string[] = [];
    let failures = 0;
    await new Promise<void>((resolve) => {
      void consumer.run(async (batch) => {
        seen.push(...batch.messages.map((m) => m.value!.toString()));
        if (failures === 0) {
          failures += 1;
          throw new Error('store unavailable');
        }
        resolve();
      });
    });
    await consumer.close();
    expect(seen).toEqual(['a', 'b', 'a', 'b']);
    expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe('2');
  });
});
