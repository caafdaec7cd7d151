import type { Kafka } from 'kafkajs';
import type { Consumer, ConsumerOptions, Headers } from './types.js';

export async function createConsumer(kafka: Kafka, options: ConsumerOptions): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
    maxWaitTimeInMs: options.maxWaitMs ?? 100,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: [...options.topics],
    fromBeginning: options.fromBeginning ?? true,
  });
  let closed = false;
  return {
    run: async (handler) => {
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommit: true,
        // Any resolved offset is committed at once: the commit follows the durable write.
        autoCommitThreshold: 1,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const live = () => payload.isRunning() && !payload.isStale();
          if (batch.messages.length === 0) return;
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
          const last = batch.messages[batch.messages.length - 1];
          // A handled batch is committed even while the consumer stops; only a batch whose
          // partition was revoked meanwhile is left to its new owner.
          if (last && !payload.isStale()) {
            payload.resolveOffset(last.offset);
            await payload.commitOffsetsIfNecessary();
          }
        },
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await consumer.disconnect();
    },
  };
}

function decodeHeaders(headers: Record<string, unknown> | undefined): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) out[name] = value.toString('utf8');
    else if (typeof value === 'string') out[name] = value;
  }
  return out;
}
