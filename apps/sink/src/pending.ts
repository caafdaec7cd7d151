import { createHash } from 'node:crypto';
import type { IncomingMessage, MessageBatch, PartitionOffset } from '@wikipulse/kafka';
import type { ChangeRow } from '@wikipulse/store';
import { decodeMessage, type DeadLetterReason } from './decode.js';

export interface DeadLetter {
  message: IncomingMessage;
  reason: DeadLetterReason;
  detail: string;
}

export interface PartitionRange {
  topic: string;
  partition: number;
  first: bigint;
  last: bigint;
  highWatermark: bigint;
}

/**
 * Messages read from Kafka and not yet written: rows for ClickHouse, dead letters, and per
 * partition the range of offsets they cover. Several fetches (and partitions) gather here so
 * ClickHouse gets few, large inserts.
 */
export class PendingBatch {
  readonly rows: ChangeRow[] = [];
  /** The message each row came from, for the dead-letter topic if ClickHouse refuses it. */
  readonly sources: IncomingMessage[] = [];
  readonly dead: DeadLetter[] = [];
  readonly ranges = new Map<string, PartitionRange>();
  skipped = 0;
  messages = 0;

  add(batch: MessageBatch): void {
    for (const message of batch.messages) {
      const decoded = decodeMessage(message);
      if (decoded.kind === 'row') {
        this.rows.push(decoded.row);
        this.sources.push(message);
      } else if (decoded.kind === 'dead') {
        this.dead.push({ message, reason: decoded.reason, detail: decoded.detail });
      } else {
        this.skipped += 1;
      }
    }
    this.messages += batch.messages.length;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (!first || !last) return;
    const key = `${batch.topic}\u0000${batch.partition}`;
    const range = this.ranges.get(key);
    const highWatermark = BigInt(batch.highWatermark);
    if (range) {
      // A rebalance can hand a partition back from its last commit: keep the widest range.
      if (BigInt(first.offset) < range.first) range.first = BigInt(first.offset);
      if (BigInt(last.offset) > range.last) range.last = BigInt(last.offset);
      if (highWatermark > range.highWatermark) range.highWatermark = highWatermark;
    } else {
      this.ranges.set(key, {
        topic: batch.topic,
        partition: batch.partition,
        first: BigInt(first.offset),
        last: BigInt(last.offset),
        highWatermark,
      });
    }
  }

  /** The positions to commit once this batch is durable: each partition's last offset + 1. */
  commitOffsets(): PartitionOffset[] {
    return [...this.ranges.values()].map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: String(r.last + 1n),
    }));
  }
}

/**
 * A deterministic `insert_deduplication_token` for a set of rows read from the given offset
 * ranges. Kafka offsets never change meaning within a topic, and the event ids guard against a
 * topic deleted and recreated under the same name, so an insert retried after a lost reply
 * (or the same ranges read again) carries the same token and ClickHouse skips it.
 */
export function insertToken(ranges: Iterable<PartitionRange>, rows: readonly ChangeRow[]): string {
  const hash = createHash('sha256');
  const sorted = [...ranges].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  for (const r of sorted) hash.update(`${r.topic}:${r.partition}:${r.first}-${r.last};`);
  for (const row of rows) hash.update(row.event_id);
  return `wikipulse-${hash.digest('hex').slice(0, 40)}`;
}
