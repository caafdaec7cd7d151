import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import { describe, expect, it, vi } from 'vitest';
import { describeBusContract } from './testing/contract.js';

describeBusContract('Kafka on a real broker', () => testBus());

describe('KafkaBus topic and group administration on a real broker', () => {
  const bus = testBus('wikipulse-admin-test');

  it('reports which topics it created, and deletes only topics that exist', async () => {
    const topic = uniqueName('wikipulse.admin');
    expect(await bus.ensureTopics([{ topic, partitions: 1 }])).toEqual([topic]);
    expect(await bus.ensureTopics([{ topic, partitions: 1 }])).toEqual([]);

    const missing = uniqueName('wikipulse.admin.missing');
    expect(await bus.deleteTopics([topic, missing])).toEqual([topic]);
    // The controller removes a deleted topic from the metadata asynchronously.
    await vi.waitFor(async () => expect(await bus.listTopics()).not.toContain(topic), {
      timeout: 15_000,
      interval: 100,
    });
    expect(await bus.deleteTopics([topic])).toEqual([]);
  });

  it('deletes a consumer group only once its members are gone; a missing group is no error', async () => {
    const topic = uniqueName('wikipulse.admin.group');
    const groupId = uniqueName('wikipulse-admin-group');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const consumer = await bus.consumer({ groupId, topics: [topic], sessionTimeoutMs: 6_000 });
    await consumer.run(() => Promise.resolve());
    await vi.waitFor(() => expect(consumer.isRunning()).toBe(true), {
      timeout: 30_000,
      interval: 100,
    });
    await expect(bus.deleteGroups([groupId])).rejects.toThrow(/NON_EMPTY_GROUP/);

    await consumer.close();
    await bus.deleteGroups([groupId]);
    await bus.deleteGroups([groupId]);
    expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe('-1');
    await bus.deleteTopics([topic]);
  });
});
