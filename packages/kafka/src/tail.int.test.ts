import { describe, expect, it } from 'vitest';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import { readTail } from './tail.js';

const bus = testBus();

describe('readTail on a real broker', () => {
  it('reads each partition to its end exactly once, past what one fetch returns', async () => {
    const topic = uniqueName('tail');
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const producer = await bus.producer();
    const filler = 'x'.repeat(2000);
    // 2 × 1,500 messages of 2 kB: several fetches per partition.
    for (let round = 0; round < 3; round += 1) {
      await producer.send(
        topic,
        Array.from({ length: 1000 }, (_, i) => {
          const n = round * 1000 + i;
          return { key: null, value: `${n} ${filler}`, headers: { n: String(n) } };
        }).map((m, i) => ({ ...m, key: String(i % 2) })),
      );
    }
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await producer.send(topic, [{ key: '0', value: 'late', headers: { n: 'late' } }]);
    await producer.close();

    const all: string[] = [];
    const count = await readTail(bus, { topic, maxPerPartition: 10_000 }, (m) =>
      all.push(m.headers['n']!),
    );
    expect(count).toBe(3001);
    expect(new Set(all).size).toBe(3001);

    const newest: string[] = [];
    await readTail(bus, { topic, maxPerPartition: 100 }, (m) => newest.push(m.headers['n']!));
    expect(newest).toHaveLength(200);
    expect(newest).toContain('late');

    const recent: string[] = [];
    await readTail(bus, { topic, maxPerPartition: 10_000, fromTimestamp: between }, (m) =>
      recent.push(m.headers['n']!),
    );
    expect(recent).toEqual(['late']);
  });
});
