import { randomBytes } from 'node:crypto';
import type { KafkaBus } from './kafka-bus.js';
import { decodeHeaders } from './consumer.js';
import type { IncomingMessage } from './types.js';

export interface ReadTailOptions {
  topic: string;
  /** Read at most this many of the newest messages of each partition. */
  maxPerPartition: number;
  /** Skip messages whose timestamp is before this (epoch ms), found through the time index. */
  fromTimestamp?: number;
  /** Give up after this long, ms. */
  timeoutMs?: number;
}

/**
 * Reads the newest messages of every partition of a topic, up to the end offsets as they were
 * when the call began, without committing anything: how a producer rebuilds its recent state
 * (a deduplication window, a checkpoint) from what it wrote before a crash. Messages are handed
 * to `each` as they arrive, so the caller keeps only what it needs of them. Resolves with the
 * number of messages read.
 */
export async function readTail(
  bus: KafkaBus,
  options: ReadTailOptions,
  each: (message: IncomingMessage) => void,
): Promise<number> {
  const { topic, maxPerPartition } = options;
  const admin = bus.kafka.admin();
  await admin.connect();
  let ranges: Map<number, { start: bigint; end: bigint; next: bigint }>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const byTime =
      options.fromTimestamp === undefined
        ? undefined
        : new Map(
            (await admin.fetchTopicOffsetsByTimestamp(topic, options.fromTimestamp)).map((o) => [
              o.partition,
              BigInt(o.offset),
            ]),
          );
    ranges = new Map();
    for (const p of offsets) {
      const low = BigInt(p.low);
      const end = BigInt(p.high);
      let start = end - BigInt(maxPerPartition);
      if (start < low) start = low;
      const timed = byTime?.get(p.partition);
      // The time index answers -1 when no message is that new.
      if (timed !== undefined) start = timed < 0n ? end : timed > start ? timed : start;
      if (start < end) ranges.set(p.partition, { start, end, next: start });
    }
  } finally {
    await admin.disconnect();
  }
  if (ranges.size === 0) return 0;

  const consumer = bus.kafka.consumer({
    groupId: `wikipulse-tail-${randomBytes(6).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 50,
  });
  let count = 0;
  const pending = new Set(ranges.keys());
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const finished = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`reading the tail of ${topic} took over ${options.timeoutMs ?? 30_000} ms`),
          ),
        options.timeoutMs ?? 30_000,
      );
      consumer
        .run({
          // Nothing is committed; resolving each batch only moves the fetch position on.
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: ({ batch }) => {
            const range = ranges.get(batch.partition);
            if (!range || !pending.has(batch.partition)) return Promise.resolve();
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              // `next` skips a batch fetched again around the seek.
              if (offset < range.next || offset >= range.end) continue;
              range.next = offset + 1n;
              count += 1;
              each({
                topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key ?? null,
                value: m.value ?? null,
                headers: decodeHeaders(m.headers),
                timestamp: Number(m.timestamp),
              });
            }
            const last = batch.messages[batch.messages.length - 1];
            if (last && BigInt(last.offset) >= range.end - 1n) {
              pending.delete(batch.partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
            return Promise.resolve();
          },
        })
        .then(() => {
          for (const [partition, range] of ranges) {
            consumer.seek({ topic, partition, offset: range.start.toString() });
          }
        })
        .catch(reject);
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return count;
}
