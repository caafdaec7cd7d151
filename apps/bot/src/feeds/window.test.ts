import { describe, expect, it } from 'vitest';
import { PartitionWindows, decodeRecord, encodeRecord, type DeliveryRecord } from './window.js';

const line = {
  event_time: '2026-12-06 10:00:00.000',
  wiki: 'dewiki',
  title: 'T',
  server_url: 'https://de.wikipedia.org',
  user: 'U',
  type: 'edit',
  log_type: '',
  length_old: 1,
  length_new: 2,
  bot: false,
  comment: '',
};
const item = (ts: number, feedId: string, eventId: string): DeliveryRecord => ({
  ts,
  feedId,
  channelId: `c-${feedId}`,
  eventId,
  line,
});
const tick = (ts: number): DeliveryRecord => ({ ts, tick: true });

function feed(records: DeliveryRecord[], from = 0) {
  return records.map((record, i) => ({ offset: String(from + i), record }));
}

describe('cutting a deliveries partition into windows', () => {
  const log = [
    item(1_000, 'a', 'e1'),
    item(2_000, 'b', 'e2'),
    item(3_000, 'a', 'e3'),
    item(3_000, 'a', 'e1'), // a matcher's redelivered copy
    tick(10_500),
    item(9_900, 'a', 'e4'), // stamped late by a slower clock: joins the open window
    item(12_000, 'b', 'e5'),
    tick(20_001),
    tick(21_000),
    item(22_000, 'a', 'e6'),
    tick(30_000),
  ];

  it('sends each window once its successor starts, one batch per feed, copies dropped', () => {
    const windows = new PartitionWindows(3, 10_000).add(feed(log));
    expect(windows.map((w) => [w.index, w.start, w.commitOffset])).toEqual([
      [0, '0', '4'],
      [1, '4', '7'],
      [2, '7', '10'],
    ]);
    expect(windows[0]!.batches.map((b) => [b.feedId, b.lines.length])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(windows[1]!.batches.map((b) => [b.feedId, b.lines.length])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('cuts the same windows when a partition is read again from any commit', () => {
    const whole = new PartitionWindows(0, 10_000).add(feed(log));
    for (const window of whole) {
      const from = Number(window.start);
      const again = new PartitionWindows(0, 10_000).add(feed(log.slice(from), from));
      const same = again.find((w) => w.start === window.start)!;
      expect(same.commitOffset).toBe(window.commitOffset);
      expect(same.batches.map((b) => b.feedId)).toEqual(window.batches.map((b) => b.feedId));
    }
  });

  it('shifts a partition’s window boundaries by its phase', () => {
    const windows = new PartitionWindows(1, 10_000, 5_000).add(feed(log));
    expect(windows.map((w) => [w.index, w.start, w.commitOffset])).toEqual([
      [-1, '0', '4'],
      [0, '4', '7'],
      [1, '7', '10'],
    ]);
    expect(windows[0]!.batches.map((b) => b.lines.length)).toEqual([2, 1]);
  });

  it('starts over when the consumer goes back to its last commit', () => {
    const windows = new PartitionWindows(0, 10_000);
    const first = windows.add(feed(log.slice(0, 7)));
    expect(first.map((w) => w.start)).toEqual(['0']);
    const again = windows.add(feed(log.slice(4), 4));
    expect(again.map((w) => [w.start, w.commitOffset])).toEqual([
      ['4', '7'],
      ['7', '10'],
    ]);
  });

  it('round-trips records and refuses anything else', () => {
    for (const record of [tick(5), item(6, 'f', 'e')]) {
      expect(decodeRecord(encodeRecord(record))).toEqual(record);
    }
    expect(decodeRecord('{"ts":"x"}')).toBeUndefined();
    expect(decodeRecord('{"ts":1,"feedId":2}')).toBeUndefined();
    expect(decodeRecord('garbage')).toBeUndefined();
  });
});
