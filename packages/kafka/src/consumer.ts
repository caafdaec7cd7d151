import type { Readable } from 'node:stream';
import {
  Consumer as ClientConsumer,
  ListOffsetTimestamps,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { Backoff, sleep } from '@wikipulse/lifecycle';
import { clientOptions, explainKafkaError, KafkaError, withDeadline } from './connection.js';
import type {
  BatchHandler,
  BusLogger,
  Consumer,
  ConsumerOptions,
  Headers,
  IncomingMessage,
  KafkaConnection,
  MessageBatch,
  PartitionOffset,
  RunOptions,
} from './types.js';

type Client = ClientConsumer;
type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/**
 * Messages the client may hold fetched ahead of the handler. More only adds garbage: with 4,096
 * the sink spent about 40 % of its main thread collecting it, and drained 10 % slower.
 */
const READ_AHEAD = 1_024;
/** The most messages of one partition handed to the handler at once. */
const MAX_BATCH = 2_000;
/** How long `close` waits for a batch being handled, ms. */
const CLOSE_WAIT_MS = 15_000;
/** How long joining the group may take on start-up before the consumer gives up, ms. */
const START_TIMEOUT_MS = 60_000;

export interface KafkaConsumerOptions extends ConsumerOptions {
  connection: KafkaConnection;
  clientId: string;
  log?: BusLogger;
}

/** Kafka header values as text; a header without a name or value is dropped. */
export function decodeHeadersList(
  headers: Iterable<[Buffer | null | undefined, Buffer | null | undefined]>,
): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name && value) out[name.toString('utf8')] = value.toString('utf8');
  }
  return out;
}

/** A record without a key or value arrives without one, whatever the client's types say. */
function orNull(bytes: Buffer | undefined): Buffer | null {
  return bytes ?? null;
}

export function toIncoming(m: Message): IncomingMessage {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: orNull(m.key),
    value: orNull(m.value),
    headers: decodeHeadersList(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/** The generation of the group a message was fetched in. */
function generationOf(m: Message): number | undefined {
  const consumer = (m.metadata as { consumer?: { generationId?: number } }).consumer;
  return consumer?.generationId;
}

/**
 * Waits until the stream has something to read, ends, or fails; rejects with the stream's
 * error.
 */
function readable(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('readable', onReadable);
      stream.off('error', done);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onReadable = () => done();
    const onClose = () => done(stream.errored ?? undefined);
    stream.on('readable', onReadable);
    stream.on('error', done);
    stream.on('close', onClose);
  });
}

/**
 * A member of a consumer group that hands its owner one partition's batch at a time.
 *
 * It heals itself: when Kafka goes away (the fetch or the group fails), it drops its client,
 * says so through `isRunning()`, and joins again with backoff until Kafka answers. Batches
 * fetched before a rebalance are dropped rather than handed on, as their partition may have a
 * new owner; the group then delivers from its committed offsets.
 */
export class KafkaConsumer implements Consumer {
  readonly #o: KafkaConsumerOptions;
  #client: Client | undefined;
  #stream: Stream | undefined;
  #member = false;
  #closed = false;
  #paused = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #highWatermarks = new Map<string, bigint>();
  #highWatermarksAt = 0;

  constructor(options: KafkaConsumerOptions) {
    this.#o = options;
  }

  run(handler: BatchHandler, options: RunOptions = {}): Promise<void> {
    if (this.#loop) return Promise.reject(new Error('the consumer is already running'));
    return new Promise((resolve, reject) => {
      let started = false;
      this.#loop = this.#consumeForever(handler, options.manualCommit ?? false, (error) => {
        if (started) return;
        started = true;
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async commit(offsets: readonly PartitionOffset[]): Promise<void> {
    const client = this.#client;
    if (!client || !this.#member) return;
    const owned = offsets.filter((o) => this.#owns(o.topic, o.partition));
    if (owned.length === 0) return;
    await client.commit({
      offsets: owned.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: BigInt(o.offset),
        leaderEpoch: -1,
      })),
    });
  }

  async pause(): Promise<void> {
    this.#paused = true;
    this.#stream?.pause();
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }

  isRunning(): boolean {
    return this.#member && !this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A batch being handled finishes, and its commit with it, before the client goes.
    if (this.#inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#idle = resolve;
        }),
        // Unreferenced: a process with nothing else to do exits without waiting for it.
        sleep(CLOSE_WAIT_MS, { ref: false }),
      ]);
    }
    this.#member = false;
    const client = this.#client;
    this.#client = undefined;
    await this.#stream?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await this.#loop;
  }

  /** Read through a method: `close` may set it during any await of the loop. */
  #isClosed(): boolean {
    return this.#closed;
  }

  #owns(topic: string, partition: number): boolean {
    return (
      this.#client?.assignments?.some(
        (a) => a.topic === topic && a.partitions.includes(partition),
      ) ?? false
    );
  }

  #newClient(): Client {
    const o = this.#o;
    const sessionTimeout = o.sessionTimeoutMs ?? 30_000;
    return new ClientConsumer({
      ...clientOptions(o.connection, o.clientId),
      groupId: o.groupId,
      autocommit: false,
      sessionTimeout,
      rebalanceTimeout: Math.max(sessionTimeout, 30_000),
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      maxWaitTime: o.maxWaitMs ?? 100,
      maxBytes: o.maxBytes ?? 10 * 1024 * 1024,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1024 * 1024,
      highWaterMark: READ_AHEAD,
      // Joining, fetching and committing: one retry rides out a leader change; anything longer
      // is an outage, which the loop below handles by starting over.
      retries: 1,
    });
  }

  async #join(): Promise<Stream> {
    const client = this.#newClient();
    this.#client = client;
    const stream = await client.consume({
      topics: [...this.#o.topics],
      mode: 'committed',
      fallbackMode: (this.#o.fromBeginning ?? true) ? 'earliest' : 'latest',
    });
    // A 'readable' listener keeps the stream in paused mode for good: the client resumes its
    // streams after a rebalance, and a stream that flowed with no 'data' listener would drop
    // what it fetched.
    stream.on('readable', () => undefined);
    this.#stream = stream;
    this.#member = true;
    return stream;
  }

  async #dropClient(): Promise<void> {
    this.#member = false;
    const stream = this.#stream;
    const client = this.#client;
    this.#stream = undefined;
    this.#client = undefined;
    await stream?.close().catch(() => undefined);
    // Forced: a broker that is gone cannot be told that this member leaves.
    await client?.close(true).catch(() => undefined);
  }

  async #consumeForever(
    handler: BatchHandler,
    manualCommit: boolean,
    started: (error?: Error) => void,
  ): Promise<void> {
    const log = this.#o.log;
    const backoff = new Backoff(500, 5_000);
    let first = true;
    while (!this.#closed) {
      try {
        const stream = first
          ? await withDeadline(this.#join(), START_TIMEOUT_MS, 'joining the consumer group')
          : await this.#join();
        if (first) started();
        else log?.info({ groupId: this.#o.groupId }, 'Kafka consumer rejoined its group');
        first = false;
        backoff.reset();
        await this.#drain(stream, handler, manualCommit);
      } catch (error) {
        if (this.#isClosed()) break;
        await this.#dropClient();
        if (first) {
          started(new KafkaError(error));
          return;
        }
        const waitMs = backoff.next();
        log?.warn(
          { groupId: this.#o.groupId, problem: explainKafkaError(error), waitMs },
          'Kafka consumer lost its group; joining again',
        );
        await sleep(waitMs);
      }
    }
    await this.#dropClient();
  }

  /** Reads the stream until it ends or fails, handing each partition's messages on in order. */
  async #drain(stream: Stream, handler: BatchHandler, manualCommit: boolean): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const byPartition = new Map<string, Message[]>();
      let read = 0;
      for (let m: Message | null; read < MAX_BATCH && (m = stream.read() as Message | null);) {
        read += 1;
        // Fetched before the latest rebalance: the group delivers it again from its commits.
        if (generationOf(m) !== this.#client?.generationId) continue;
        const key = `${m.topic}\u0000${m.partition}`;
        let list = byPartition.get(key);
        if (!list) byPartition.set(key, (list = []));
        list.push(m);
      }
      if (read === 0) {
        if (stream.destroyed || stream.readableEnded) {
          if (stream.errored) throw stream.errored;
          if (this.#isClosed()) return;
          throw new Error('the consumer stream ended');
        }
        await readable(stream);
        continue;
      }
      if (this.#paused) continue;
      for (const messages of byPartition.values()) {
        await this.#handle(messages, handler, manualCommit);
      }
    }
  }

  async #handle(messages: Message[], handler: BatchHandler, manualCommit: boolean): Promise<void> {
    this.#inFlight += 1;
    try {
      await this.#handleOnce(messages, handler, manualCommit);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#idle?.();
    }
  }

  async #handleOnce(
    messages: Message[],
    handler: BatchHandler,
    manualCommit: boolean,
  ): Promise<void> {
    const first = messages[0]!;
    const last = messages[messages.length - 1]!;
    const { topic, partition } = first;
    const generation = this.#client?.generationId;
    // Still this member's partition, in the generation the batch was fetched in.
    const current = () =>
      this.#member && this.#client?.generationId === generation && this.#owns(topic, partition);
    const live = () => current() && !this.#closed && !this.#paused;
    const batch: MessageBatch = {
      topic,
      partition,
      messages: messages.map(toIncoming),
      highWatermark: (await this.#highWatermark(topic, partition, last.offset + 1n)).toString(),
    };
    const context = { heartbeat: () => Promise.resolve(), isRunning: live };
    const backoff = new Backoff(200, 5_000);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await handler(batch, context);
        break;
      } catch (error) {
        // Delivered again, in place: nothing of the batch is marked as read.
        const waitMs = backoff.next();
        this.#o.log?.warn(
          { err: error, topic, partition, attempt, waitMs },
          'handling a batch failed; delivering it again',
        );
        if (!live()) return;
        await sleep(waitMs);
        if (!live()) return;
      }
    }
    // A handled batch is committed even while the consumer stops; only one whose partition
    // went to another member meanwhile is left to its new owner.
    if (!manualCommit && current()) {
      await this.commit([{ topic, partition, offset: (last.offset + 1n).toString() }]);
    }
  }

  /**
   * The partition's end offset, for lag: looked up at most once a second for all partitions,
   * and never behind what was just read.
   */
  async #highWatermark(topic: string, partition: number, atLeast: bigint): Promise<bigint> {
    const key = `${topic}\u0000${partition}`;
    const client = this.#client;
    if (client && Date.now() - this.#highWatermarksAt > 1_000) {
      this.#highWatermarksAt = Date.now();
      try {
        const offsets = await client.listOffsets({
          topics: [...this.#o.topics],
          timestamp: ListOffsetTimestamps.LATEST,
        });
        for (const [t, list] of offsets) {
          list.forEach((offset, p) => this.#highWatermarks.set(`${t}\u0000${p}`, offset));
        }
      } catch {
        // Lag is advisory; the next batch asks again.
      }
    }
    const known = this.#highWatermarks.get(key) ?? 0n;
    return known > atLeast ? known : atLeast;
  }
}
