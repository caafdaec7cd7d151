import type { ChangeLineRow } from '../commands/recent.js';

/**
 * What travels on the feed-deliveries topic, keyed by feed id: a change one feed matched, or a
 * tick. Matchers write a tick to every partition every second, stamped with their clock, so
 * that every partition's windows close on time even when no change arrives.
 */
export type DeliveryRecord =
  | { ts: number; tick: true }
  | { ts: number; feedId: string; channelId: string; eventId: string; line: ChangeLineRow };

export interface FeedBatch {
  feedId: string;
  channelId: string;
  lines: ChangeLineRow[];
}

/** One window of one partition: every feed's matched changes, and where to commit after. */
export interface DeliveryWindow {
  partition: number;
  /** floor((ts − phase) / windowMs) of the records in it. */
  index: number;
  /** The offset of its first record: with the feed id, the batch's idempotency key. */
  start: string;
  /** The offset of the record that closed it: committed once the window is sent. */
  commitOffset: string;
  batches: FeedBatch[];
}

/**
 * Cuts one partition of the deliveries topic into windows of `windowMs`, the same way on every
 * worker that reads it from the same committed offset. A record belongs to the window of the
 * highest timestamp seen so far in the partition (since the last commit), so windows are
 * contiguous runs of offsets and a record stamped late (another matcher's slower clock) joins
 * the current window instead of reopening a closed one. A window closes when a record of a
 * later window arrives; ticks make sure one does. Commits happen only at window starts, so a
 * worker that takes a partition over re-reads whole windows and cuts them exactly as its
 * predecessor did: the same batches with the same keys, which Discord deduplicates (nonce).
 */
export class PartitionWindows {
  readonly partition: number;
  readonly #windowMs: number;
  readonly #phaseMs: number;
  #next: bigint | undefined;
  #maxTs = Number.NEGATIVE_INFINITY;
  #open:
    { index: number; start: string; feeds: Map<string, FeedBatch>; seen: Set<string> } | undefined;
  /** Change ids per feed delivered in recent windows: a matcher's redelivered copies. */
  readonly #recent = new Set<string>();
  readonly #recentMax: number;

  /**
   * `phaseMs` shifts this partition's window boundaries, so that partitions close their windows
   * at different moments and a worker's sends are spread over the window instead of all at once.
   */
  constructor(partition: number, windowMs: number, phaseMs = 0, recentMax = 100_000) {
    this.partition = partition;
    this.#windowMs = windowMs;
    this.#phaseMs = phaseMs;
    this.#recentMax = recentMax;
  }

  /**
   * Adds records in offset order; returns the windows they closed. A record before the next
   * expected offset means the partition is being read again from its last commit (a rebalance):
   * everything open is dropped and cut again.
   */
  add(
    records: readonly { offset: string; record: DeliveryRecord | undefined }[],
  ): DeliveryWindow[] {
    const closed: DeliveryWindow[] = [];
    for (const { offset, record } of records) {
      const at = BigInt(offset);
      if (this.#next !== undefined && at < this.#next) this.reset();
      this.#next = at + 1n;
      if (record === undefined) continue;
      this.#maxTs = Math.max(this.#maxTs, record.ts);
      const index = Math.floor((this.#maxTs - this.#phaseMs) / this.#windowMs);
      if (this.#open !== undefined && index > this.#open.index) {
        closed.push(this.#close(offset));
      }
      this.#open ??= { index, start: offset, feeds: new Map(), seen: new Set() };
      if ('tick' in record) continue;
      const key = `${record.feedId}/${record.eventId}`;
      if (this.#open.seen.has(key) || this.#recent.has(key)) continue;
      this.#open.seen.add(key);
      let batch = this.#open.feeds.get(record.feedId);
      if (batch === undefined) {
        batch = { feedId: record.feedId, channelId: record.channelId, lines: [] };
        this.#open.feeds.set(record.feedId, batch);
      }
      batch.lines.push(record.line);
    }
    return closed;
  }

  reset(): void {
    this.#open = undefined;
    this.#maxTs = Number.NEGATIVE_INFINITY;
    this.#recent.clear();
  }

  #close(nextOffset: string): DeliveryWindow {
    const open = this.#open!;
    this.#open = undefined;
    for (const key of open.seen) {
      this.#recent.add(key);
      if (this.#recent.size > this.#recentMax) {
        this.#recent.delete(this.#recent.values().next().value!);
      }
    }
    return {
      partition: this.partition,
      index: open.index,
      start: open.start,
      commitOffset: nextOffset,
      batches: [...open.feeds.values()],
    };
  }
}

export function encodeRecord(record: DeliveryRecord): string {
  return JSON.stringify(record);
}

export function decodeRecord(text: string): DeliveryRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<DeliveryRecord> & Record<string, unknown>;
    if (typeof value.ts !== 'number') return undefined;
    if (value['tick'] === true) return { ts: value.ts, tick: true };
    if (
      typeof value['feedId'] === 'string' &&
      typeof value['channelId'] === 'string' &&
      typeof value['eventId'] === 'string' &&
      typeof value['line'] === 'object' &&
      value['line'] !== null
    ) {
      return value as DeliveryRecord;
    }
    return undefined;
  } catch {
    return undefined;
  }
}
