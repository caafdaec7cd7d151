import {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type KafkaConfig,
  type Message,
  type Producer as KafkaProducer,
} from 'kafkajs';
import type {
  Bus,
  Consumer,
  ConsumerOptions,
  Headers,
  OutgoingMessage,
  Producer,
  ProducerOptions,
  TopicSpec,
} from './types.js';

/** The part of a pino logger the bus logs through. */
export interface BusLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface KafkaBusOptions {
  brokers: readonly string[];
  clientId: string;
  log?: BusLogger;
  /** Extra kafkajs settings (SASL, SSL) for managed clusters. */
  config?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
}

export class KafkaBus implements Bus {
  readonly kafka: Kafka;

  constructor(options: KafkaBusOptions) {
    const log = options.log;
    this.kafka = new Kafka({
      ...options.config,
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: log ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry) => {
        if (!log) return;
        const { message, ...extra } = entry.log;
        const fields = { kafka: entry.namespace, ...extra };
        if (entry.level === logLevel.ERROR) log.error(fields, message);
        else if (entry.level === logLevel.WARN) log.warn(fields, message);
        else if (entry.level === logLevel.INFO) log.info(fields, message);
        else log.debug(fields, message);
      },
    });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor ?? -1,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const idempotent = options.idempotent ?? true;
    const producer = this.kafka.producer({
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

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    const consumer = this.kafka.consumer({
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

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
    } finally {
      await admin.disconnect();
    }
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((p) => [p.partition, p.high]));
    } finally {
      await admin.disconnect();
    }
  }
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

function decodeHeaders(headers: Record<string, unknown> | undefined): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) out[name] = value.toString('utf8');
    else if (typeof value === 'string') out[name] = value;
  }
  return out;
}
