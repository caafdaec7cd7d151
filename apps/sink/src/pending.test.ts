import { describe, expect, it } from 'vitest';
import type { IncomingMessage, MessageBatch } from '@wikipulse/kafka';
import { takeFreshEvents } from '@wikipulse/testing';
import { PendingBatch, insertToken } from './pending.js';

function batch(
  partition: number,
  firstOffset: number,
  values: string[],
  highWatermark = 1000,
): MessageBatch {
  const messages: IncomingMessage[] = values.map((v, i) => ({
    topic: 't',
    partition,
    offset: String(firstOffset + i),
    key: null,
    value: Buffer.from(v),
    headers: {},
    timestamp: 0,
  }));
  return { topic: 't', partition, messages, highWatermark: String(highWatermark) };
}

const events = takeFreshEvents(6, { startMs: Date.UTC(2026, 0, 1) }).map((e) => JSON.stringify(e));

describe('PendingBatch', () => {
  it('gathers rows and dead letters from several partitions and commits each after its last offset', () => {
    const pending = new PendingBatch();
    pending.add(batch(0, 10, [events[0]!, events[1]!]));
    pending.add(batch(2, 5, [events[2]!, 'garbage']));
    pending.add(batch(0, 12, [events[3]!]));
    expect(pending.messages).toBe(5);
    expect(pending.rows.map((r) => r.event_id)).toHaveLength(4);
    expect(pending.sources.map((m) => m.offset)).toEqual(['10', '11', '5', '12']);
    expect(pending.dead).toMatchObject([{ reason: 'invalid_json', message: { offset: '6' } }]);
    expect(pending.commitOffsets()).toEqual([
      { topic: 't', partition: 0, offset: '13' },
      { topic: 't', partition: 2, offset: '7' },
    ]);
  });

  it('keeps the widest range when a partition is read again from an earlier offset', () => {
    const pending = new PendingBatch();
    pending.add(batch(1, 100, [events[0]!]));
    pending.add(batch(1, 90, [events[1]!], 2000));
    const range = [...pending.ranges.values()][0]!;
    expect([range.first, range.last, range.highWatermark]).toEqual([90n, 100n, 2000n]);
    expect(pending.commitOffsets()).toEqual([{ topic: 't', partition: 1, offset: '101' }]);
  });
});

describe('insertToken', () => {
  it('depends on the ranges and the rows, not on the order partitions arrived in', () => {
    const a = new PendingBatch();
    a.add(batch(0, 0, [events[0]!]));
    a.add(batch(1, 0, [events[1]!]));
    const b = new PendingBatch();
    b.add(batch(1, 0, [events[1]!]));
    b.add(batch(0, 0, [events[0]!]));
    expect(insertToken(a.ranges.values(), a.rows)).toBe(insertToken(b.ranges.values(), a.rows));
    expect(insertToken(a.ranges.values(), a.rows)).not.toBe(
      insertToken(a.ranges.values(), a.rows.slice(1)),
    );
    const c = new PendingBatch();
    c.add(batch(0, 1, [events[0]!]));
    c.add(batch(1, 0, [events[1]!]));
    expect(insertToken(c.ranges.values(), a.rows)).not.toBe(insertToken(a.ranges.values(), a.rows));
  });
});
