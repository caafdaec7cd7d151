import type { Kafka } from 'kafkajs';
import type { Consumer, ConsumerOptions, Headers, PartitionOffset } from './types.js';

export async function createConsumer(kafka: Kafka, options: ConsumerOptions): Promise<Consumer> {
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    maxWaitTimeInMs: options.maxWaitMs ?? 100,
    sessionTimeout,
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
  });
  // The partitions this member owns, per topic, as of the latest join.
  let assignment = new Map<string, Set<number>>();
  let member = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assignment = new Map(
      Object.entries(payload.memberAssignment).map(([topic, partitions]) => [
        topic,
        new Set(partitions),
      ]),
    );
    member = true;
  });
  for (const event of [consumer.events.CRASH, consumer.events.STOP, consumer.events.DISCONNECT]) {
    consumer.on(event, () => {
      member = false;
    });
  }
  await consumer.connect();
  await consumer.subscribe({
    topics: [...options.topics],
    fromBeginning: options.fromBeginning ?? true,
  });

  let closed = false;
  let paused = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  return {
    run: async (handler, runOptions = {}) => {
      const manualCommit = runOptions.manualCommit ?? false;
      await consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        // In manual-commit mode kafkajs never commits on its own: not on errors, not on
        // rebalances. Otherwise any resolved offset is committed at once: the commit follows
        // the durable write.
        autoCommit: !manualCommit,
        ...(manualCommit ? {} : { autoCommitThreshold: 1 }),
        eachBatch: async (payload) => {
          const { batch } = payload;
          const live = () => payload.isRunning() && !payload.isStale();
          if (batch.messages.length === 0 || paused) return;
          inFlight += 1;
          try {
            await handler(
              {
                topic: batch.topic,
                partition: batch.partition,
                highWatermark: batch.highWatermark,
                messages: batch.messages.map((m) => ({
                  topic: batch.topic,
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key ?? null,
                  value: m.value ?? null,
                  headers: decodeHeaders(m.headers),
                  timestamp: Number(m.timestamp),
                })),
              },
              { heartbeat: () => payload.heartbeat(), isRunning: live },
            );
          } finally {
            inFlight -= 1;
            if (inFlight === 0) idle?.();
          }
          const last = batch.messages[batch.messages.length - 1];
          // A handled batch is resolved even while the consumer stops; only a batch whose
          // partition was revoked meanwhile is left to its new owner.
          if (last && !payload.isStale()) {
            payload.resolveOffset(last.offset);
            if (!manualCommit) await payload.commitOffsetsIfNecessary();
          }
        },
      });
    },
    commit: async (offsets: readonly PartitionOffset[]) => {
      const owned = offsets.filter((o) => assignment.get(o.topic)?.has(o.partition) ?? false);
      if (owned.length === 0) return;
      await consumer.commitOffsets(
        owned.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      );
    },
    pause: async () => {
      paused = true;
      consumer.pause(options.topics.map((topic) => ({ topic })));
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        idle = resolve;
      });
    },
    isRunning: () => member && !closed,
    close: async () => {
      if (closed) return;
      closed = true;
      await consumer.disconnect();
    },
  };
}

/** Kafka header values as text (kafkajs hands out Buffers). */
export function decodeHeaders(headers: Record<string, unknown> | undefined): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) out[name] = value.toString('utf8');
    else if (typeof value === 'string') out[name] = value;
  }
  return out;
}
