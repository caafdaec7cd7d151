import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type Producer as KafkaProducer,
} from 'kafkajs';
import type { OutgoingMessage, Producer, ProducerOptions, TopicMessages } from './types.js';

export async function createProducer(
  kafka: Kafka,
  options: ProducerOptions = {},
): Promise<Producer> {
  const idempotent = options.idempotent ?? true;
  const producer = kafka.producer({
    idempotent,
    // An idempotent producer keeps ordering and deduplication only with ≤ 5 in flight.
    // kafkajs also serialises idempotent requests per broker (a lock around each produce), so
    // callers may overlap sends: the next batch is encoded while the previous one is in flight.
    ...(idempotent ? { maxInFlightRequests: 5 } : {}),
    allowAutoTopicCreation: false,
    // murmur2, as the Java client partitions: a key lands on the same partition from any client.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const compression =
    options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return new KafkaJsProducer(producer, compression, options.timeoutMs ?? 30_000);
}

class KafkaJsProducer implements Producer {
  readonly #producer: KafkaProducer;
  readonly #compression: CompressionTypes;
  readonly #timeoutMs: number;

  constructor(producer: KafkaProducer, compression: CompressionTypes, timeoutMs: number) {
    this.#producer = producer;
    this.#compression = compression;
    this.#timeoutMs = timeoutMs;
  }

  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.sendBatch([{ topic, messages }]);
  }

  async sendBatch(batches: readonly TopicMessages[]): Promise<void> {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({ topic: b.topic, messages: b.messages.map(toKafkaMessage) }));
    if (topicMessages.length === 0) return;
    await this.#producer.sendBatch({
      topicMessages,
      acks: -1,
      timeout: this.#timeoutMs,
      compression: this.#compression,
    });
  }

  close(): Promise<void> {
    return this.#producer.disconnect();
  }
}

/**
 * kafkajs reads messages without changing them, and a message without a timestamp already has
 * kafkajs' shape: it is passed as it is, which saves an object per message at high rates.
 */
function toKafkaMessage(m: OutgoingMessage): Message {
  if (m.timestamp === undefined) return m as Omit<OutgoingMessage, 'timestamp'>;
  return { ...m, timestamp: String(m.timestamp) };
}
