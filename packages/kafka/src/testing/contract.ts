import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bus, Consumer, IncomingMessage } from '../types.js';

/**
 * The behaviour every Bus implementation owes its users, run against Kafka (integration) and
 * the in-process bus (unit), so the local mode behaves as production does.
 */
export function describeBusContract(name: string, makeBus: () => Bus): void {
  describe(`${name}: the bus contract`, () => {
    const bus = makeBus();
    const consumers: Consumer[] = [];
    const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.close()));
    });

    /** Consumes until `count` messages arrived, then closes the consumer. */
    async function consume(
      groupId: string,
      topic: string,
      count: number,
    ): Promise<IncomingMessage[]> {
      const consumer = await bus.consumer({ groupId, topics: [topic] });
      consumers.push(consumer);
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

    const numbers = (messages: IncomingMessage[]) =>
      messages
        .map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n)
        .sort((a, b) => a - b);

    it('delivers a batch to a group, commits it, and a restarted consumer resumes after the commit', async () => {
      const topic = unique('smoke');
      const groupId = unique('group');
      expect(await bus.ensureTopics([{ topic, partitions: 3 }])).toEqual([topic]);
      expect(await bus.ensureTopics([{ topic, partitions: 3 }])).toEqual([]);

      const producer = await bus.producer();
      const first = Array.from({ length: 100 }, (_, i) => ({
        key: `k${i % 7}`,
        value: JSON.stringify({ n: i }),
        headers: { source: 'smoke' },
      }));
      await producer.send(topic, first);

      const got = await consume(groupId, topic, 100);
      expect(numbers(got)).toEqual(first.map((_, i) => i));
      expect(got.every((m) => m.headers['source'] === 'smoke')).toBe(true);
      expect(await bus.committedOffsets(groupId, topic)).toEqual(await bus.endOffsets(topic));

      const second = Array.from({ length: 20 }, (_, i) => ({
        key: `k${i}`,
        value: `{"n":${100 + i}}`,
      }));
      await producer.send(topic, second);
      await producer.close();

      const resumed = await consume(groupId, topic, 20);
      expect(numbers(resumed)).toEqual(second.map((_, i) => 100 + i));
    });

    it('sends to several topics in one batch', async () => {
      const events = unique('events');
      const dead = unique('dead');
      await bus.ensureTopics([
        { topic: events, partitions: 2 },
        { topic: dead, partitions: 1 },
      ]);
      const producer = await bus.producer();
      await producer.sendBatch([
        {
          topic: events,
          messages: [
            { key: 'a', value: '{"n":1}' },
            { key: 'b', value: '{"n":2}' },
          ],
        },
        { topic: dead, messages: [{ value: '{"n":3}', headers: { reason: 'schema' } }] },
      ]);
      await producer.close();
      expect(numbers(await consume(unique('group'), events, 2))).toEqual([1, 2]);
      const [deadLetter] = await consume(unique('group'), dead, 1);
      expect(deadLetter?.headers['reason']).toBe('schema');
    });

    it('keeps the messages of one key in one partition, in order', async () => {
      const topic = unique('keys');
      await bus.ensureTopics([{ topic, partitions: 4 }]);
      const producer = await bus.producer();
      await producer.send(
        topic,
        Array.from({ length: 30 }, (_, i) => ({ key: 'page', value: JSON.stringify({ n: i }) })),
      );
      await producer.close();
      const got = await consume(unique('group'), topic, 30);
      expect(new Set(got.map((m) => m.partition)).size).toBe(1);
      expect(got.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
    });

    it('does not commit a batch whose handler failed: it is delivered again', async () => {
      const topic = unique('redeliver');
      const groupId = unique('group');
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

    it('in manual-commit mode commits only what its owner commits, and a later member resumes there', async () => {
      const topic = unique('manual');
      const groupId = unique('group');
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const producer = await bus.producer();
      await producer.send(
        topic,
        ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value })),
      );
      await producer.close();

      const consumer = await bus.consumer({ groupId, topics: [topic] });
      consumers.push(consumer);
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run(
          async (batch) => {
            seen.push(...batch.messages.map((m) => m.value!.toString()));
            if (seen.length >= 5) resolve();
          },
          { manualCommit: true },
        );
      });
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(consumer.isRunning()).toBe(true);
      expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe('-1');
      await consumer.commit([{ topic, partition: 0, offset: '3' }]);
      expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe('3');
      await consumer.pause();
      await consumer.close();

      const rest = await consume(groupId, topic, 2);
      expect(rest.map((m) => m.value!.toString())).toEqual(['d', 'e']);
    });
  });
}
