import { Kafka, logLevel } from 'kafkajs';
import { createConsumer } from './consumer.js';
import { createWireProducer } from './wire/producer.js';
import type {
  Bus,
  Consumer,
  ConsumerOptions,
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
}

/**
 * Kafka over plaintext TCP. Consumers and administration go through kafkajs; producers through
 * Wikipulse's own protocol encoder (`wire/`), which costs a fraction of kafkajs' per-message
 * work on the ingestor's hot path (see the README's ingestor performance notes).
 */
export class KafkaBus implements Bus {
  readonly kafka: Kafka;
  readonly #options: KafkaBusOptions;

  constructor(options: KafkaBusOptions) {
    this.#options = options;
    const log = options.log;
    this.kafka = new Kafka({
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

  producer(options: ProducerOptions = {}): Promise<Producer> {
    return createWireProducer({
      brokers: this.#options.brokers,
      clientId: this.#options.clientId,
      ...(this.#options.log ? { log: this.#options.log } : {}),
      ...(options.compression ? { compression: options.compression } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  consumer(options: ConsumerOptions): Promise<Consumer> {
    return createConsumer(this.kafka, options);
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
