/**
 * The message bus as Wikipulse's apps see it. Kafka (`KafkaBus`) implements it in
 * production; apps depend on these types only, so the client library can be swapped.
 */

export type Headers = Readonly<Record<string, string>>;

/** The part of a pino logger the bus logs through. */
export interface BusLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** TLS towards the brokers; present means TLS is on. PEM text, never file names. */
export interface KafkaTls {
  /** Trusted CA certificates; the system's store when absent. */
  ca?: string;
  /** Client certificate and key, for mutual TLS. */
  cert?: string;
  key?: string;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer';

export interface KafkaSasl {
  mechanism: SaslMechanism;
  /** plain and scram-*. */
  username?: string;
  password?: string;
  /** oauthbearer: a file holding the token, read again at every authentication (tokens expire). */
  tokenFile?: string;
}

/** Where Kafka is and how to reach it: the part of a bus's options that deployments set. */
export interface KafkaConnection {
  brokers: readonly string[];
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

export interface OutgoingMessage {
  key?: string | null;
  value: Buffer | string;
  headers?: Headers;
  /** Epoch milliseconds; the broker's time when absent. */
  timestamp?: number;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: readonly IncomingMessage[];
  /** The partition's end offset when the batch was fetched: lag = highWatermark − next offset. */
  highWatermark: string;
}

export interface BatchContext {
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked. */
  isRunning(): boolean;
}

/**
 * Handles one batch. When it resolves, every message of the batch is committed; when it
 * rejects, nothing is, and the batch is delivered again. Make the work durable before resolving.
 *
 * In manual-commit mode (`RunOptions.manualCommit`), resolving only marks the batch as read
 * (the next fetch continues after it); its offsets are committed when the handler's owner calls
 * `Consumer.commit`, after its own durable write.
 */
export type BatchHandler = (batch: MessageBatch, context: BatchContext) => Promise<void>;

export interface RunOptions {
  /**
   * Commit only through `Consumer.commit`. Lets a consumer gather several fetches into one
   * write while the next fetch proceeds, without committing anything it has not written.
   */
  manualCommit?: boolean;
}

/** A position to commit: `offset` is the next offset the group will read (last written + 1). */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Kafka's record batch codecs. gzip runs on Node's thread pool and zstd in Node's zlib; lz4 and
 * snappy are WebAssembly, on the producing thread. Every consumer of this package reads all five.
 */
export type Compression = 'none' | 'gzip' | 'zstd' | 'lz4' | 'snappy';

/** Producers are idempotent with acks=all: the producer's own retries never double a message. */
export interface ProducerOptions {
  /**
   * Costs CPU for a network saving a local broker does not need, so apps choose per
   * deployment; `none` by default.
   */
  compression?: Compression;
  /** How long the broker may take to replicate a produce request (acks=all), ms. */
  timeoutMs?: number;
}

export interface TopicMessages {
  topic: string;
  messages: readonly OutgoingMessage[];
}

export interface Producer {
  /** False from a failed write until a write succeeds again: readiness reports it. */
  isHealthy(): boolean;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Several topics in one produce request per broker. Resolves when every message is
   * acknowledged by all in-sync replicas; rejects when any is not (after the client's retries).
   */
  sendBatch(batches: readonly TopicMessages[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  /** Upper bound on one fetch, in bytes. */
  maxBytes?: number;
  /** How long the broker may wait to fill a fetch, in milliseconds. */
  maxWaitMs?: number;
  /** Upper bound on one partition's share of a fetch, in bytes. */
  maxBytesPerPartition?: number;
  /** How many partitions' batches are handled at the same time (1 unless given). */
  partitionsConsumedConcurrently?: number;
  /**
   * How long the group waits for a silent member before handing its partitions to others
   * (30 s unless given; brokers accept 6 s and more by default).
   */
  sessionTimeoutMs?: number;
}

export interface Consumer {
  /** Starts consuming; resolves once running. Batches are handled one partition at a time. */
  run(handler: BatchHandler, options?: RunOptions): Promise<void>;
  /**
   * Commits positions (manual-commit mode). Partitions this member no longer owns are skipped:
   * their new owner reads them again from the last commit, which only repeats work.
   */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /**
   * Stops handing out batches and resolves once the handlers in flight have returned. Batches
   * fetched after this are not marked as read; `commit` keeps working until `close`.
   */
  pause(): Promise<void>;
  /** True while the consumer is a member of its group with an assignment. */
  isRunning(): boolean;
  close(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  config?: Readonly<Record<string, string>>;
}

export interface Bus {
  /** Creates the topics that do not exist yet; resolves to the names it created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  producer(options?: ProducerOptions): Promise<Producer>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  /** Committed offset per partition of a group: the next offset it will read. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** Latest offset per partition of a topic. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /** The partition a keyed message lands on, among `partitions`: the producer's own mapping. */
  partitionOf(key: string, partitions: number): number;
}
