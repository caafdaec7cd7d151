import {
  Admin,
  Consumer as ClientConsumer,
  ListOffsetTimestamps,
  type ClusterMetadata,
} from '@platformatic/kafka';
import { clientOptions, KafkaError, withDeadline } from './connection.js';
import { KafkaConsumer } from './consumer.js';
import { javaPartitioner } from './partitioner.js';
import { KafkaProducer } from './producer.js';
import type {
  Bus,
  BusLogger,
  Consumer,
  ConsumerOptions,
  KafkaConnection,
  Producer,
  ProducerOptions,
  TopicSpec,
} from './types.js';

export interface KafkaBusOptions extends KafkaConnection {
  clientId: string;
  log?: BusLogger;
  /** How long a write may take, retries included, before it fails (120 s unless given), ms. */
  deliveryTimeoutMs?: number;
}

/** How long one administrative call (topics, groups, offsets) may take, ms. */
const ADMIN_TIMEOUT_MS = 30_000;

/** A request Kafka answered with a refusal this module words itself. */
class RefusedError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'RefusedError';
  }
}

/** The error code names a failed call carries anywhere in its chain of causes. */
function errorNames(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 8) return [];
  const own = (error as { apiId?: unknown }).apiId;
  const inner = error instanceof AggregateError ? error.errors : [];
  return [
    ...(typeof own === 'string' ? [own] : []),
    ...inner.flatMap((e: unknown) => errorNames(e, depth + 1)),
    ...errorNames(error.cause, depth + 1),
  ];
}

/**
 * Kafka through `@platformatic/kafka`, over plaintext or TLS, with or without SASL. Every
 * Wikipulse process reaches Kafka through this class; no other module imports a Kafka client.
 * Administrative calls open a short-lived client each: they are rare, and nothing stays
 * connected between them.
 */
export class KafkaBus implements Bus {
  readonly connection: KafkaConnection;
  readonly clientId: string;
  readonly #options: KafkaBusOptions;

  constructor(options: KafkaBusOptions) {
    this.#options = options;
    this.clientId = options.clientId;
    this.connection = {
      brokers: options.brokers,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
    };
  }

  /**
   * An authenticated metadata round trip within `timeoutMs`: how a process checks at start-up
   * that its address, TLS and credentials work, and fails with one line naming the problem
   * instead of retrying forever.
   */
  async check(timeoutMs = 15_000): Promise<void> {
    await this.#withAdmin((admin) => admin.metadata({ topics: [] }), timeoutMs, 'connecting');
  }

  /** Java's murmur2 mapping, as the producer partitions keys. */
  partitionOf(key: string, partitions: number): number {
    return javaPartitioner(undefined, Buffer.from(key)) % partitions;
  }

  /** Creates the topics that do not exist yet; resolves to the names it created. */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    return this.#withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      await Promise.all(
        missing.map(async (s) => {
          try {
            await admin.createTopics({
              topics: [s.topic],
              partitions: s.partitions,
              replicas: s.replicationFactor ?? -1,
              configs: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
            });
          } catch (error) {
            // Created meanwhile by another process: what was asked for exists.
            if (!errorNames(error).includes('TOPIC_ALREADY_EXISTS')) throw error;
          }
        }),
      );
      await waitForLeaders(
        admin,
        missing.map((s) => s.topic),
      );
      return missing.map((s) => s.topic);
    });
  }

  async listTopics(): Promise<string[]> {
    return this.#withAdmin((admin) => admin.listTopics());
  }

  /**
   * Deletes the topics that exist; resolves to the names it deleted, so deleting a topic twice
   * is not an error. The broker removes the data in the background.
   */
  async deleteTopics(topics: readonly string[]): Promise<string[]> {
    return this.#withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      if (present.length > 0) await admin.deleteTopics({ topics: present });
      return present;
    });
  }

  /**
   * Deletes consumer groups with their committed offsets. A group that does not exist is not an
   * error; one that still has members is (the broker refuses it: NON_EMPTY_GROUP), so it is
   * deleted only once its consumers have stopped.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.#withAdmin(async (admin) => {
      await Promise.all(
        groupIds.map(async (groupId) => {
          try {
            await admin.deleteGroups({ groups: [groupId] });
          } catch (error) {
            const names = errorNames(error);
            if (names.includes('GROUP_ID_NOT_FOUND')) return;
            const reason = names.find((n) => n !== 'GROUP_ID_NOT_FOUND');
            throw reason
              ? new RefusedError(`deleting consumer group ${groupId} failed: ${reason}`, error)
              : error;
          }
        }),
      );
    });
  }

  /** A group's state (`Stable`, `Empty`, `Dead`, …) and how many members it has. */
  async describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    return this.#withAdmin(async (admin) => {
      const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
      return { state: group?.state ?? 'Dead', members: group?.members.size ?? 0 };
    });
  }

  /**
   * Moves a group's committed positions (the group must have no members): how an operator
   * replays a partition or skips ahead.
   */
  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: ReadonlyMap<number, string>,
  ): Promise<void> {
    await this.#withAdmin((admin) =>
      admin.alterConsumerGroupOffsets({
        groupId,
        topics: [
          {
            name: topic,
            partitionOffsets: [...offsets].map(([partition, offset]) => ({
              partition,
              offset: BigInt(offset),
            })),
          },
        ],
      }),
    );
  }

  /** An idempotent acks=all producer, connected (a bad address or credential fails here). */
  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const producer = new KafkaProducer({
      ...options,
      connection: this.connection,
      clientId: this.clientId,
      ...(this.#options.deliveryTimeoutMs !== undefined
        ? { deliveryTimeoutMs: this.#options.deliveryTimeoutMs }
        : {}),
    });
    try {
      await producer.connect();
    } catch (error) {
      await producer.close();
      throw error;
    }
    return producer;
  }

  /** A consumer group member; it joins when `run` is called. */
  async consumer(options: ConsumerOptions): Promise<Consumer> {
    await this.check();
    return new KafkaConsumer({
      ...options,
      connection: this.connection,
      clientId: this.clientId,
      ...(this.#options.log ? { log: this.#options.log } : {}),
    });
  }

  /** Committed offset per partition of a group: the next offset it will read, `-1` for none. */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return this.#withAdmin(async (admin) => {
      const metadata = await admin.metadata({ topics: [topic] });
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      const [group] = await admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: [{ name: topic, partitionIndexes: Array.from({ length: count }, (_, i) => i) }],
          },
        ],
      });
      const partitions = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
      return new Map(partitions.map((p) => [p.partitionIndex, p.committedOffset.toString()]));
    });
  }

  /** Latest offset per partition of a topic. */
  async endOffsets(topic: string): Promise<Map<number, string>> {
    const client = new ClientConsumer({
      ...clientOptions(this.connection, this.clientId),
      groupId: `${this.clientId}-offsets`,
    });
    try {
      const offsets = await withDeadline(
        client.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST }),
        ADMIN_TIMEOUT_MS,
        `listing the offsets of ${topic}`,
      );
      return new Map((offsets.get(topic) ?? []).map((offset, p) => [p, offset.toString()]));
    } catch (error) {
      throw new KafkaError(error);
    } finally {
      await client.close(true).catch(() => undefined);
    }
  }

  async #withAdmin<T>(
    work: (admin: Admin) => Promise<T>,
    timeoutMs = ADMIN_TIMEOUT_MS,
    doing = 'administering',
  ): Promise<T> {
    const admin = new Admin(clientOptions(this.connection, this.clientId));
    try {
      return await withDeadline(work(admin), timeoutMs, doing);
    } catch (error) {
      throw error instanceof RefusedError ? error : new KafkaError(error);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}

/** Waits until every partition of the topics has a leader: a new topic takes a moment. */
async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  for (let attempt = 0; ; attempt += 1) {
    let metadata: ClusterMetadata | undefined;
    try {
      metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
    } catch (error) {
      if (attempt >= 50) throw error;
    }
    const ready = topics.every((t) => {
      const info = metadata?.topics.get(t);
      return info !== undefined && info.partitions.every((p) => p.leader >= 0);
    });
    if (ready) return;
    if (attempt >= 50) throw new Error(`topics ${topics.join(', ')} have no leaders yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
