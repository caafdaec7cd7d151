import { Producer as ClientProducer, type MessageToProduce } from '@platformatic/kafka';
import { clientOptions, explainKafkaError, KafkaError, withDeadline } from './connection.js';
import { javaPartitioner } from './partitioner.js';
import type {
  Headers,
  KafkaConnection,
  OutgoingMessage,
  Producer,
  ProducerOptions,
  TopicMessages,
} from './types.js';

type Bytes = Buffer | string;
type Client = ClientProducer<Bytes, Bytes, Bytes, Bytes>;
type Message = MessageToProduce<Bytes, Bytes, Bytes, Bytes>;

const toBuffer = (value: Bytes | undefined): Buffer | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? Buffer.from(value) : value;

/** Header names repeat on every message: each is encoded once (up to this many names). */
const HEADER_NAMES_CACHED = 64;
const headerNames = new Map<string, Buffer>();

/**
 * A message's headers as the client takes them without converting them again (it turns a
 * plain object into a `Map` of its entries, and encodes every name, per message).
 */
function headerMap(headers: Headers): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const name in headers) {
    let encoded = headerNames.get(name);
    if (encoded === undefined) {
      encoded = Buffer.from(name);
      if (headerNames.size < HEADER_NAMES_CACHED) headerNames.set(name, encoded);
    }
    map.set(encoded, Buffer.from(headers[name]!));
  }
  return map;
}

/** How long getting a producer id may take at start-up, ms. */
const CONNECT_TIMEOUT_MS = 30_000;

/** How long a write may take, the client's retries included, before it fails, ms. */
export const DELIVERY_TIMEOUT_MS = 120_000;

export interface KafkaProducerOptions extends ProducerOptions {
  connection: KafkaConnection;
  clientId: string;
  /** Overrides DELIVERY_TIMEOUT_MS (tests of outages use a shorter one). */
  deliveryTimeoutMs?: number;
}

/**
 * An idempotent acks=all producer. Keys are partitioned with Java's murmur2 mapping, so a key
 * lands where every other Kafka client puts it.
 *
 * A write that fails (after the client's own retries, or past the delivery timeout) rejects,
 * and so does every write then in flight; the next write starts a new client. The owner
 * decides what a failure means: the ingestor restarts from its checkpoint, the bot gateway and
 * the sink retry. `isHealthy()` is false from a failure until a write succeeds again.
 */
export class KafkaProducer implements Producer {
  readonly #options: KafkaProducerOptions;
  #client: Client | undefined;
  #healthy = true;
  #closed = false;
  /** Topics a metadata answer has shown to exist. */
  readonly #known = new Set<string>();

  constructor(options: KafkaProducerOptions) {
    this.#options = options;
  }

  /** Opens the client and asks for a producer id, so a bad setting fails here, once. */
  async connect(): Promise<void> {
    const client = this.#current();
    await this.#bounded(
      client,
      client.initIdempotentProducer({}),
      'connecting',
      CONNECT_TIMEOUT_MS,
    );
  }

  isHealthy(): boolean {
    return this.#healthy && !this.#closed;
  }

  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.sendBatch([{ topic, messages }]);
  }

  sendBatch(batches: readonly TopicMessages[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the producer is closed'));
    const messages: Message[] = [];
    for (const { topic, messages: list } of batches) {
      for (const m of list) {
        // One object shape for every message (the client reads absent fields as undefined):
        // this loop runs for every event the ingestor writes.
        messages.push({
          topic,
          key: m.key ?? undefined,
          value: m.value,
          headers: m.headers === undefined ? undefined : headerMap(m.headers),
          timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
        } as Message);
      }
    }
    if (messages.length === 0) return Promise.resolve();
    const client = this.#current();
    const unknown = batches.map((b) => b.topic).filter((t) => !this.#known.has(t));
    const sent =
      unknown.length === 0
        ? client.send({ messages })
        : this.#checkTopics(client, unknown).then(() => client.send({ messages }));
    return this.#bounded(client, sent, 'writing').then(() => {
      this.#healthy = true;
    });
  }

  /**
   * The client waits for a topic that does not exist as for one being created; a write to a
   * misspelt topic must fail at once, naming it. Checked once per topic.
   */
  async #checkTopics(client: Client, topics: readonly string[]): Promise<void> {
    const wanted = [...new Set(topics)];
    const metadata = await client
      .metadata({ topics: wanted, retries: 2 })
      .catch((error: unknown) => {
        throw new Error(`writing to ${wanted.join(', ')} failed: ${explainKafkaError(error)}`, {
          cause: error,
        });
      });
    const missing = wanted.filter((t) => !metadata.topics.has(t));
    if (missing.length > 0) {
      throw new Error(`topic ${missing.join(', ')} does not exist`);
    }
    for (const t of wanted) this.#known.add(t);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  #current(): Client {
    this.#client ??= new ClientProducer<Bytes, Bytes, Bytes, Bytes>({
      ...clientOptions(this.#options.connection, this.#options.clientId),
      idempotent: true,
      partitioner: javaPartitioner,
      compression: this.#options.compression ?? 'none',
      // The broker's replication wait for acks=all.
      timeout: this.#options.timeoutMs ?? 30_000,
      // Retried with the same sequence numbers, so the broker drops what it already has;
      // bounded by the delivery timeout below, not by a count.
      retries: Number.MAX_SAFE_INTEGER,
      retryDelay: (_client, _operation, attempt) => Math.min(100 * 2 ** attempt, 2_000),
      serializers: {
        key: toBuffer,
        value: toBuffer,
        headerKey: toBuffer,
        headerValue: toBuffer,
      },
    });
    return this.#client;
  }

  /**
   * Settles `work` within the delivery timeout. On failure the client is dropped (closing it
   * stops its retries and fails its other writes), so the next write starts afresh.
   */
  #bounded<T>(client: Client, work: Promise<T>, doing: string, limitMs?: number): Promise<T> {
    const deliveryMs = this.#options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS;
    const timeoutMs = limitMs === undefined ? deliveryMs : Math.min(limitMs, deliveryMs);
    return withDeadline(work, timeoutMs, doing).catch((error: unknown) => {
      this.#healthy = false;
      if (this.#client === client) {
        this.#client = undefined;
        void client.close(true).catch(() => undefined);
      }
      throw new KafkaError(error);
    });
  }
}
