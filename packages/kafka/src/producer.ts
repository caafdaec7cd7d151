import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type Producer as KafkaProducer,
} from 'kafkajs';
import type { OutgoingMessage, Producer, ProducerOptions } from './types.js';

export async function createProducer(
  kafka: Kafka,
  options: ProducerOptions = {},
): Promise<Producer> {
  const idempotent = options.idempotent ?? true;
  const producer = kafka.producer({
    idempotent,
    // An idempotent producer keeps ordering and deduplication only with ≤ 5 in flight.
    ...(idempotent ? { maxInFlightRequests: 5 } : {}),
    allowAutoTopicCreation: false,
    // murmur2, as the Java client partitions: a key lands on the same partition from any client.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const compression =
    options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return new KafkaJsProducer(producer, compression);
}

class KafkaJsProducer implements Producer {
  readonly #producer: KafkaProducer;
  readonly #compression: CompressionTypes;

  constructor(producer: KafkaProducer, compression: CompressionTypes) {
    this.#producer = producer;
    this.#compression = compression;
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.#producer.send({
      topic,
      acks: -1,
      compression: this.#compression,
      messages: messages.map((m): Message => ({
        key: m.key ?? null,
        value: m.value,
        ...(m.headers ? { headers: { ...m.headers } } : {}),
        ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
      })),
    });
  }

  close(): Promise<void> {
    return this.#producer.disconnect();
  }
}
