import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memory-bus.js';
import { describeBusContract } from './testing/contract.js';

describeBusContract('the in-process bus', () => new MemoryBus());

describe('MemoryBus', () => {
  it('shares a topic’s partitions among the running members of a group', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 4 }]);
    const a = await bus.consumer({ groupId: 'g', topics: ['t'] });
    const b = await bus.consumer({ groupId: 'g', topics: ['t'] });
    const byMember: Record<string, Set<number>> = { a: new Set(), b: new Set() };
    let total = 0;
    await new Promise<void>((resolve) => {
      const handler =
        (name: 'a' | 'b') => async (batch: { partition: number; messages: readonly unknown[] }) => {
          byMember[name]!.add(batch.partition);
          total += batch.messages.length;
          if (total >= 40) resolve();
        };
      void a.run(handler('a'));
      void b.run(handler('b'));
      void bus.producer().then((producer) =>
        producer.send(
          't',
          Array.from({ length: 40 }, (_, i) => ({ value: String(i) })),
        ),
      );
    });
    await Promise.all([a.close(), b.close()]);
    expect(total).toBe(40);
    expect([...byMember['a']!].some((p) => byMember['b']!.has(p))).toBe(false);
  });

  it('refuses an unknown topic', async () => {
    const bus = new MemoryBus();
    const producer = await bus.producer();
    expect(() => producer.send('nope', [{ value: 'x' }])).toThrow(/unknown topic/);
  });
});
