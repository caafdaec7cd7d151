import type { OutgoingMessage, Producer, TopicMessages } from '../types.js';
import { BrokerConnection, BrokerConnectionError } from './connection.js';
import { partitionForKey } from './murmur2.js';
import {
  API,
  ERROR,
  KafkaProtocolError,
  Writer,
  decodeApiVersions,
  decodeInitProducerId,
  decodeMetadata,
  decodeProduce,
  encodeInitProducerIdRequest,
  encodeMetadataRequest,
  sizeOfString,
  type BrokerAddress,
  type ProducerIdentity,
} from './protocol.js';
import { RecordBatchBuilder, nextSequence, type Compression } from './record-batch.js';

export interface WireProducerOptions {
  /** Bootstrap addresses, `host:port`. */
  brokers: readonly string[];
  clientId: string;
  compression?: Compression;
  /** How long the broker may take to replicate a produce request (acks=all), ms. */
  timeoutMs?: number;
  /** How long a write keeps retrying retriable errors before it fails, ms. */
  deliveryTimeoutMs?: number;
  /** Upper bound of one record batch, uncompressed bytes (the broker's limit is about 1 MB). */
  maxBatchBytes?: number;
  log?: { warn(obj: object, msg: string): void };
}

interface PartitionBatch {
  topic: string;
  partition: number;
  records: Buffer;
}

/** One `sendBatch` call: settles when every batch holding its messages is acknowledged. */
interface Write {
  remaining: number;
  resolve(): void;
  reject(error: Error): void;
}

/** A batch still taking messages, with the writes that have messages in it. */
interface OpenBatch {
  builder: RecordBatchBuilder;
  writes: Write[];
}

/** A closed batch: its sequence numbers are fixed; it goes out after the ones before it. */
interface ClosedBatch {
  topic: string;
  partition: number;
  records: Promise<Buffer>;
  writes: Write[];
}

interface TopicRoute {
  /** Leader node id per partition; −1 while a partition has none. */
  leaders: Int32Array;
  /** Round-robin position for messages without a key. */
  next: number;
}

const RETRY_BACKOFF_MS = [50, 100, 200, 500, 1000] as const;

/**
 * Wikipulse's idempotent producer (acks=all), speaking Kafka's protocol directly. Like the
 * Java client's record accumulator, it encodes each message into its partition's open batch
 * the moment it is handed over (so the message's strings die young and nothing per message
 * waits in a queue), and one sender sends what accumulated while the previous request was in
 * flight: batches grow with the load, and a quiet producer sends at once.
 *
 * Requests go out strictly one after another, so a retried batch keeps its sequence numbers
 * and its place: the broker drops what it already has, and nothing is reordered or doubled.
 * Retriable errors (leader changes, timeouts, lost connections) are retried with the same bytes
 * until `deliveryTimeoutMs`; anything else fails that write and every later one (the sequence
 * numbers after a lost batch are void), and the owner restarts the producer.
 */
export async function createWireProducer(options: WireProducerOptions): Promise<Producer> {
  const producer = new WireProducer(options);
  try {
    await producer.start();
  } catch (error) {
    await producer.close();
    throw error;
  }
  return producer;
}

class WireProducer implements Producer {
  readonly #options: Required<Omit<WireProducerOptions, 'log'>> & Pick<WireProducerOptions, 'log'>;
  readonly #connections = new Map<string, BrokerConnection>();
  readonly #brokers = new Map<number, BrokerAddress>();
  readonly #routes = new Map<string, TopicRoute>();
  readonly #sequences = new Map<string, number>();
  readonly #open = new Map<string, OpenBatch>();
  #closed: ClosedBatch[] = [];
  #identity: ProducerIdentity = { producerId: -1n, producerEpoch: -1 };
  /** Writes waiting for a topic's metadata, in call order; later writes queue behind them. */
  #waiting: Promise<void> = Promise.resolve();
  #waitingCount = 0;
  #sender: Promise<void> | undefined;
  #failure: Error | undefined;
  #stopped = false;

  constructor(options: WireProducerOptions) {
    if (options.brokers.length === 0) throw new Error('no Kafka brokers given');
    this.#options = {
      compression: 'none',
      timeoutMs: 30_000,
      deliveryTimeoutMs: 120_000,
      maxBatchBytes: 1_000_000,
      ...options,
    };
  }

  async start(): Promise<void> {
    const deadline = Date.now() + this.#options.deliveryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const connection = await this.#anyConnection();
        await checkVersions(connection);
        const reply = await connection.request(
          API.initProducerId,
          [encodeInitProducerIdRequest(60_000)],
          10_000,
        );
        this.#identity = decodeInitProducerId(reply);
        return;
      } catch (error) {
        if (!retriable(error) || Date.now() > deadline) throw error;
        this.#options.log?.warn({ err: error, attempt }, 'Kafka producer start retried');
        await sleep(backoff(attempt));
      }
    }
  }

  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.sendBatch([{ topic, messages }]);
  }

  sendBatch(batches: readonly TopicMessages[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#stopped) return Promise.reject(new Error('the Kafka producer is closed'));
    const wanted = batches.filter((b) => b.messages.length > 0);
    if (wanted.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const write: Write = { remaining: 0, resolve, reject };
      if (this.#waitingCount === 0 && wanted.every((b) => this.#routes.has(b.topic))) {
        this.#append(wanted, write);
        return;
      }
      this.#waitingCount++;
      this.#waiting = this.#waiting
        .then(async () => {
          const missing = wanted.map((b) => b.topic).filter((t) => !this.#routes.has(t));
          if (missing.length > 0) await this.#refresh(missing, this.#options.deliveryTimeoutMs);
          if (this.#failure) throw this.#failure;
          this.#append(wanted, write);
        })
        .catch((error: unknown) => reject(asError(error)))
        .finally(() => this.#waitingCount--);
    });
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#waiting;
    while (this.#sender) await this.#sender.catch(() => undefined);
    for (const connection of this.#connections.values()) connection.close();
    this.#connections.clear();
  }

  #append(batches: readonly TopicMessages[], write: Write): void {
    const now = Date.now();
    const max = this.#options.maxBatchBytes;
    for (const { topic, messages } of batches) {
      const route = this.#routes.get(topic)!;
      const count = route.leaders.length;
      for (const message of messages) {
        const partition =
          message.key === null || message.key === undefined
            ? route.next++ % count
            : partitionForKey(message.key, count);
        const id = `${topic}\u0000${partition}`;
        let open = this.#open.get(id);
        if (!open) {
          open = { builder: new RecordBatchBuilder(topic, partition), writes: [] };
          this.#open.set(id, open);
        }
        if (!open.builder.append(message, now, max)) {
          this.#close(id, open);
          open = { builder: new RecordBatchBuilder(topic, partition), writes: [] };
          this.#open.set(id, open);
          open.builder.append(message, now, Number.POSITIVE_INFINITY);
        }
        if (open.writes[open.writes.length - 1] !== write) {
          open.writes.push(write);
          write.remaining++;
        }
      }
    }
    if (write.remaining === 0) write.resolve();
    this.#kick();
  }

  #kick(): void {
    if (this.#sender) return;
    this.#sender = this.#send().finally(() => {
      this.#sender = undefined;
      if (!this.#failure && (this.#open.size > 0 || this.#closed.length > 0)) this.#kick();
    });
  }

  /** Fixes a batch's sequence numbers, in the order batches of a partition are closed. */
  #close(id: string, open: OpenBatch): void {
    this.#open.delete(id);
    const baseSequence = this.#sequences.get(id) ?? 0;
    this.#sequences.set(id, nextSequence(baseSequence, open.builder.count));
    const records = open.builder.close(
      { ...this.#identity, baseSequence },
      this.#options.compression,
    );
    records.catch(() => undefined);
    this.#closed.push({
      topic: open.builder.topic,
      partition: open.builder.partition,
      records,
      writes: open.writes,
    });
  }

  /**
   * The sender: from the next turn of the event loop (so one turn's messages share a batch),
   * closes what is open and sends it; what arrives meanwhile waits for the next request. A
   * request carries at most one batch per partition, so a partition's further batches go in
   * the following requests.
   */
  async #send(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    let round: ClosedBatch[] = [];
    try {
      for (;;) {
        for (const [id, open] of this.#open) this.#close(id, open);
        if (this.#closed.length === 0) return;
        round = [];
        const later: ClosedBatch[] = [];
        const taken = new Set<string>();
        for (const batch of this.#closed) {
          const id = `${batch.topic}\u0000${batch.partition}`;
          if (taken.has(id)) later.push(batch);
          else {
            taken.add(id);
            round.push(batch);
          }
        }
        this.#closed = later;
        const ready = await Promise.all(
          round.map(async (b) => ({
            topic: b.topic,
            partition: b.partition,
            records: await b.records,
          })),
        );
        await this.#deliverRound(ready);
        for (const batch of round) {
          for (const write of batch.writes) if (--write.remaining === 0) write.resolve();
        }
      }
    } catch (error) {
      this.#fail(asError(error), round);
    }
  }

  /** After a fatal error: every write not yet acknowledged fails, and so does every later one. */
  #fail(error: Error, inFlight: readonly ClosedBatch[]): void {
    this.#failure ??= error;
    const batches = [...inFlight, ...this.#closed, ...this.#open.values()];
    this.#closed = [];
    this.#open.clear();
    for (const batch of batches) for (const write of batch.writes) write.reject(this.#failure);
  }

  /** Sends each leader its partitions' batches, then again what failed retriably. */
  async #deliverRound(round: PartitionBatch[]): Promise<void> {
    const deadline = Date.now() + this.#options.deliveryTimeoutMs;
    let pending = round;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const byLeader = new Map<number, PartitionBatch[]>();
      const retry: PartitionBatch[] = [];
      for (const batch of pending) {
        const leader = this.#routes.get(batch.topic)?.leaders[batch.partition] ?? -1;
        if (leader < 0 || !this.#brokers.has(leader)) retry.push(batch);
        else (byLeader.get(leader) ?? byLeader.set(leader, []).get(leader)!).push(batch);
      }
      let lastError: Error | undefined;
      const replies = await Promise.allSettled(
        [...byLeader].map(([leader, batches]) => this.#produce(leader, batches)),
      );
      const leaders = [...byLeader.values()];
      replies.forEach((reply, i) => {
        const sent = leaders[i]!;
        if (reply.status === 'rejected') {
          if (!retriable(reply.reason)) throw reply.reason;
          lastError = reply.reason as Error;
          retry.push(...sent);
          return;
        }
        const byId = new Map(sent.map((b) => [`${b.topic}\u0000${b.partition}`, b]));
        for (const result of reply.value) {
          const batch = byId.get(`${result.topic}\u0000${result.partition}`);
          if (!batch) continue;
          byId.delete(`${result.topic}\u0000${result.partition}`);
          // A duplicate is a batch the broker already has from an earlier attempt.
          if (result.errorCode === ERROR.none || result.errorCode === ERROR.duplicateSequenceNumber)
            continue;
          const error = new KafkaProtocolError(
            result.errorCode,
            `producing to ${result.topic}[${result.partition}]`,
          );
          if (!error.retriable) throw error;
          lastError = error;
          retry.push(batch);
        }
        retry.push(...byId.values());
      });
      if (retry.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `gave up producing to ${retry.length} partition(s) after ${this.#options.deliveryTimeoutMs} ms: ${lastError?.message ?? 'no leader'}`,
        );
      }
      this.#options.log?.warn(
        { partitions: retry.length, attempt, reason: lastError?.message ?? 'no leader' },
        'Kafka produce retried',
      );
      await sleep(backoff(attempt));
      await this.#refresh([...new Set(retry.map((b) => b.topic))], deadline - Date.now()).catch(
        (error: unknown) => {
          if (!retriable(error)) throw error;
        },
      );
      pending = retry;
    }
  }

  async #produce(leader: number, batches: PartitionBatch[]) {
    const byTopic = new Map<string, PartitionBatch[]>();
    for (const b of batches)
      (byTopic.get(b.topic) ?? byTopic.set(b.topic, []).get(b.topic)!).push(b);
    const body: Buffer[] = [
      new Writer(2 + 2 + 4 + 4)
        .string(null)
        .int16(-1)
        .int32(this.#options.timeoutMs)
        .int32(byTopic.size).buffer,
    ];
    for (const [topic, parts] of byTopic) {
      body.push(new Writer(sizeOfString(topic) + 4).string(topic).int32(parts.length).buffer);
      for (const part of parts) {
        body.push(
          new Writer(8).int32(part.partition).int32(part.records.length).buffer,
          part.records,
        );
      }
    }
    const connection = this.#connection(leader);
    const reply = await connection.request(API.produce, body, this.#options.timeoutMs + 10_000);
    return decodeProduce(reply);
  }

  /** Refreshes leaders and brokers for `topics`; retries while the topics have no leaders yet. */
  async #refresh(topics: readonly string[], budgetMs: number): Promise<void> {
    const deadline = Date.now() + Math.max(budgetMs, 0);
    for (let attempt = 0; ; attempt++) {
      let error: unknown;
      try {
        const connection = await this.#anyConnection();
        const metadata = decodeMetadata(
          await connection.request(API.metadata, [encodeMetadataRequest(topics)], 10_000),
        );
        for (const broker of metadata.brokers) this.#brokers.set(broker.nodeId, broker);
        const unknown = metadata.topics.find((t) => t.errorCode !== 0 || t.partitions.length === 0);
        if (!unknown) {
          for (const topic of metadata.topics) {
            const leaders = new Int32Array(topic.partitions.length).fill(-1);
            for (const p of topic.partitions) leaders[p.partition] = p.leader;
            const previous = this.#routes.get(topic.name);
            this.#routes.set(topic.name, {
              leaders,
              next: previous?.next ?? Math.floor(Math.random() * leaders.length),
            });
          }
          return;
        }
        const refusal =
          unknown.errorCode === ERROR.unknownTopicOrPartition
            ? new KafkaProtocolError(
                ERROR.unknownTopicOrPartition,
                `topic ${unknown.name} does not exist`,
              )
            : new KafkaProtocolError(unknown.errorCode, `metadata of ${unknown.name}`);
        if (!refusal.retriable) throw refusal;
        error = refusal;
      } catch (caught) {
        if (!retriable(caught)) throw caught;
        error = caught;
      }
      if (Date.now() > deadline) throw error;
      await sleep(backoff(attempt));
    }
  }

  #connection(nodeId: number): BrokerConnection {
    const broker = this.#brokers.get(nodeId);
    if (!broker) throw new Error(`Kafka broker ${nodeId} is unknown`);
    return this.#connect(broker.host, broker.port);
  }

  #connect(host: string, port: number): BrokerConnection {
    const address = `${host}:${port}`;
    const existing = this.#connections.get(address);
    if (existing?.usable) return existing;
    const connection = new BrokerConnection(host, port, this.#options.clientId, 10_000);
    this.#connections.set(address, connection);
    return connection;
  }

  /** A connection to any broker: a known one, else the bootstrap list in order. */
  async #anyConnection(): Promise<BrokerConnection> {
    for (const connection of this.#connections.values()) if (connection.usable) return connection;
    let lastError: unknown;
    const candidates = [
      ...this.#options.brokers.map(parseAddress),
      ...[...this.#brokers.values()].map((b) => ({ host: b.host, port: b.port })),
    ];
    for (const { host, port } of candidates) {
      const connection = this.#connect(host, port);
      try {
        await connection.request(API.apiVersions, [], 10_000).then(decodeApiVersions);
        return connection;
      } catch (error) {
        lastError = error;
        connection.close();
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no Kafka broker answered');
  }
}

const REQUIRED = [API.produce, API.metadata, API.initProducerId];

async function checkVersions(connection: BrokerConnection): Promise<void> {
  const ranges = decodeApiVersions(await connection.request(API.apiVersions, [], 10_000));
  for (const api of REQUIRED) {
    const range = ranges.find((r) => r.key === api.key);
    if (!range || api.version < range.min || api.version > range.max) {
      throw new Error(
        `the Kafka broker at ${connection.address} does not serve API ${api.key} version ${api.version}` +
          (range ? ` (it serves ${range.min}–${range.max})` : ''),
      );
    }
  }
}

/** Protocol errors say whether they are retriable; lost connections and timeouts are. */
function retriable(error: unknown): boolean {
  if (error instanceof KafkaProtocolError) return error.retriable;
  return error instanceof BrokerConnectionError;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function backoff(attempt: number): number {
  const base = RETRY_BACKOFF_MS[Math.min(attempt, RETRY_BACKOFF_MS.length - 1)]!;
  return base / 2 + Math.random() * (base / 2);
}

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  if (at <= 0) throw new Error(`Kafka broker address "${address}" is not host:port`);
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
