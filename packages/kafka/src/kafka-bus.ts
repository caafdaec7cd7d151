import { Kafka, logLevel, type DeleteGroupsResult } from 'kafkajs';
import { createConsumer } from './consumer.js';
import { createWireProducer } from './wire/producer.js';
import type {
  Bus,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
  KafkaConnection,
  TopicSpec,
} from './types.js';

/** The part of a pino logger the bus logs through. */
export interface BusLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface KafkaBusOptions extends KafkaConnection {
  clientId: string;
  log?: BusLogger;
}

/**
 * Kafka over plaintext TCP. Consumers and administration go through kafkajs; producers through
 * Wikipulse's own protocol encoder (`wire/`), which costs a fraction of kafkajs' per-message
 * work on the ingestor's hot path (see the README's ingestor performance notes).
 */
/**
 * The per-group results of a failed `deleteGroups`. Read by shape: kafkajs is CommonJS and its
 * error classes are not named exports Node's ESM loader can see.
 */
function deleteGroupsFailures(error: unknown): DeleteGroupsResult[] | undefined {
  if (!(error instanceof Error) || error.name !== 'KafkaJSDeleteGroupsError') return undefined;
  const groups = (error as Error & { groups?: unknown }).groups;
  return Array.isArray(groups) ? (groups as DeleteGroupsResult[]) : undefined;
}

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

  /** Creates the topics that do not exist yet; resolves to the names it created. */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return [];
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor ?? -1,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      return missing.map((s) => s.topic);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Deletes the topics that exist; resolves to the names it deleted, so deleting a topic twice
   * is not an error. The broker removes the data in the background.
   */
  async deleteTopics(topics: readonly string[]): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      if (present.length > 0) await admin.deleteTopics({ topics: present });
      return present;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Deletes consumer groups with their committed offsets. A group that does not exist is not an
   * error; one that still has members is (the broker refuses it), so it is deleted only once
   * its consumers have stopped.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([...groupIds]);
    } catch (error) {
      const failed = deleteGroupsFailures(error);
      if (!failed?.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND')) {
        const detail = failed
          ?.filter((g) => g.error?.type !== 'GROUP_ID_NOT_FOUND')
          .map((g) => `${g.groupId}: ${g.error?.type ?? String(g.errorCode)}`)
          .join(', ');
        throw detail
          ? new Error(`deleting consumer groups failed: ${detail}`, { cause: error })
          : error;
      }
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
