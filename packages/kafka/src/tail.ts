import { randomBytes } from 'node:crypto';
import { Consumer as ClientConsumer, IS_CONTROL, ListOffsetTimestamps } from '@platformatic/kafka';
import { clientOptions, KafkaError, withDeadline } from './connection.js';
import { decodeHeadersList } from './consumer.js';
import type { KafkaBus } from './kafka-bus.js';
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

interface Range {
  partition: number;
  next: bigint;
  end: bigint;
}

/**
 * Reads the newest messages of every partition of a topic, up to the end offsets as they were
 * when the call began, without joining a group or committing anything: how a producer rebuilds
 * its recent state (a deduplication window, a checkpoint) from what it wrote before a crash.
 * Messages are handed to `each` as they arrive, in offset order per partition, so the caller
 * keeps only what it needs of them. Resolves with the number of messages read.
 */
export async function readTail(
  bus: KafkaBus,
  options: ReadTailOptions,
  each: (message: IncomingMessage) => void,
): Promise<number> {
  const { topic, maxPerPartition } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new ClientConsumer({
    ...clientOptions(bus.connection, `${bus.clientId}-tail`),
    // Never joined: fetches name their partitions and offsets themselves.
    groupId: `wikipulse-tail-${randomBytes(6).toString('hex')}`,
  });
  try {
    return await withDeadline(
      (async () => {
        const [low, high] = await Promise.all(
          [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map(
            async (timestamp) =>
              (await client.listOffsets({ topics: [topic], timestamp })).get(topic) ?? [],
          ),
        );
        const byTime =
          options.fromTimestamp === undefined
            ? undefined
            : ((
                await client.listOffsets({
                  topics: [topic],
                  timestamp: BigInt(options.fromTimestamp),
                })
              ).get(topic) ?? []);
        const ranges: Range[] = [];
        high!.forEach((end, partition) => {
          let start = end - BigInt(maxPerPartition);
          const first = low![partition] ?? 0n;
          if (start < first) start = first;
          const timed = byTime?.[partition];
          // The time index answers -1 when no message is that new.
          if (timed !== undefined) start = timed < 0n ? end : timed > start ? timed : start;
          if (start < end) ranges.push({ partition, next: start, end });
        });
        let count = 0;
        for (const range of ranges) count += await readRange(client, topic, range, each);
        return count;
      })(),
      timeoutMs,
      `reading the tail of ${topic}`,
    );
  } catch (error) {
    throw new KafkaError(error);
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

async function readRange(
  client: ClientConsumer,
  topic: string,
  range: Range,
  each: (message: IncomingMessage) => void,
): Promise<number> {
  let count = 0;
  let empty = 0;
  while (range.next < range.end) {
    const metadata = await client.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic);
    const leader = info?.partitions[range.partition]?.leader;
    if (!info || leader === undefined) throw new Error(`no leader for ${topic}/${range.partition}`);
    const response = await client.fetch({
      node: leader,
      maxWaitTime: 50,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      topics: [
        {
          topicId: info.id,
          partitions: [
            {
              partition: range.partition,
              fetchOffset: range.next,
              partitionMaxBytes: 4 * 1024 * 1024,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    });
    const before = range.next;
    for (const topicResponse of response.responses) {
      for (const p of topicResponse.partitions) {
        // Deleted by retention meanwhile: continue from what is left.
        if (p.logStartOffset > range.next) range.next = p.logStartOffset;
        for (const batch of p.records ?? []) {
          const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
          if (!(batch.attributes & IS_CONTROL)) {
            for (const record of batch.records) {
              const offset = batch.firstOffset + BigInt(record.offsetDelta);
              // A fetch starts at its batch's first offset, which may precede the one asked for.
              if (offset < range.next || offset >= range.end) continue;
              count += 1;
              each({
                topic,
                partition: range.partition,
                offset: offset.toString(),
                key: record.key,
                value: record.value,
                headers: decodeHeadersList(record.headers),
                timestamp: Number(batch.firstTimestamp + record.timestampDelta),
              });
            }
          }
          if (lastOffset + 1n > range.next) range.next = lastOffset + 1n;
        }
      }
    }
    if (range.next === before && ++empty > 20) {
      throw new Error(`fetching ${topic}/${range.partition} at ${before} kept returning nothing`);
    }
    if (range.next !== before) empty = 0;
  }
  return count;
}
