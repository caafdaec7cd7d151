/**
 * The parts of Kafka's wire protocol the producer speaks: request framing, ApiVersions,
 * Metadata, InitProducerId and Produce, in their non-flexible versions (every broker from
 * Kafka 2.1 to 4.x serves them). Reference: https://kafka.apache.org/protocol.
 */

export const API = {
  produce: { key: 0, version: 7 },
  metadata: { key: 3, version: 5 },
  apiVersions: { key: 18, version: 0 },
  initProducerId: { key: 22, version: 1 },
} as const;

/** Error codes the producer treats specially; the rest are fatal for the request. */
export const ERROR = {
  none: 0,
  unknownTopicOrPartition: 3,
  leaderNotAvailable: 5,
  notLeaderOrFollower: 6,
  requestTimedOut: 7,
  networkException: 13,
  coordinatorLoadInProgress: 14,
  coordinatorNotAvailable: 15,
  notCoordinator: 16,
  notEnoughReplicas: 19,
  notEnoughReplicasAfterAppend: 20,
  duplicateSequenceNumber: 46,
  kafkaStorageError: 56,
  fencedLeaderEpoch: 74,
  unknownLeaderEpoch: 75,
  offsetNotAvailable: 78,
  throttlingQuotaExceeded: 89,
} as const;

/** Errors after which the same request, sent again (to the partition's current leader), can succeed. */
export function isRetriable(code: number): boolean {
  switch (code) {
    case ERROR.unknownTopicOrPartition:
    case ERROR.leaderNotAvailable:
    case ERROR.notLeaderOrFollower:
    case ERROR.requestTimedOut:
    case ERROR.networkException:
    case ERROR.coordinatorLoadInProgress:
    case ERROR.coordinatorNotAvailable:
    case ERROR.notCoordinator:
    case ERROR.notEnoughReplicas:
    case ERROR.notEnoughReplicasAfterAppend:
    case ERROR.kafkaStorageError:
    case ERROR.fencedLeaderEpoch:
    case ERROR.unknownLeaderEpoch:
    case ERROR.offsetNotAvailable:
    case ERROR.throttlingQuotaExceeded:
      return true;
    default:
      return false;
  }
}

/** A broker's refusal, with Kafka's error code and name. */
export class KafkaProtocolError extends Error {
  readonly code: number;
  readonly retriable: boolean;

  constructor(code: number, context: string) {
    super(`${context}: Kafka error ${code} (${errorName(code)})`);
    this.name = 'KafkaProtocolError';
    this.code = code;
    this.retriable = isRetriable(code);
  }
}

const NAMES: Record<number, string> = {
  1: 'OFFSET_OUT_OF_RANGE',
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  10: 'MESSAGE_TOO_LARGE',
  13: 'NETWORK_EXCEPTION',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  17: 'INVALID_TOPIC_EXCEPTION',
  18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  21: 'INVALID_REQUIRED_ACKS',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  43: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  46: 'DUPLICATE_SEQUENCE_NUMBER',
  47: 'INVALID_PRODUCER_EPOCH',
  56: 'KAFKA_STORAGE_ERROR',
  59: 'UNKNOWN_PRODUCER_ID',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  76: 'UNSUPPORTED_COMPRESSION_TYPE',
  78: 'OFFSET_NOT_AVAILABLE',
  87: 'INVALID_RECORD',
  89: 'THROTTLING_QUOTA_EXCEEDED',
};

export function errorName(code: number): string {
  return NAMES[code] ?? 'UNKNOWN';
}

/** Writes big-endian fields into a buffer sized in advance. */
export class Writer {
  readonly buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  int8(value: number): this {
    this.buffer[this.offset++] = value & 0xff;
    return this;
  }

  int16(value: number): this {
    this.offset = this.buffer.writeInt16BE(value, this.offset);
    return this;
  }

  int32(value: number): this {
    this.offset = this.buffer.writeInt32BE(value, this.offset);
    return this;
  }

  int64(value: bigint): this {
    this.offset = this.buffer.writeBigInt64BE(value, this.offset);
    return this;
  }

  /** A 16-bit length and UTF-8 bytes; null as length −1. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const length = Buffer.byteLength(value);
    this.int16(length);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  bytes(value: Uint8Array): this {
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }
}

export function sizeOfString(value: string | null): number {
  return 2 + (value === null ? 0 : Buffer.byteLength(value));
}

/** Reads big-endian fields of a response. */
export class Reader {
  readonly #buffer: Buffer;
  offset: number;

  constructor(buffer: Buffer, offset = 0) {
    this.#buffer = buffer;
    this.offset = offset;
  }

  int8(): number {
    return this.#buffer.readInt8(this.offset++);
  }

  int16(): number {
    const value = this.#buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    const value = this.#buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const value = this.#buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  array<T>(item: (reader: Reader) => T): T[] {
    const length = this.int32();
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(item(this));
    return items;
  }
}

/** Request header v1 (api key, version, correlation id, client id) before the body. */
export function requestHeader(
  api: { key: number; version: number },
  correlationId: number,
  clientId: string,
  bodySize: number,
): Buffer {
  const size = 2 + 2 + 4 + sizeOfString(clientId);
  return new Writer(4 + size)
    .int32(size + bodySize)
    .int16(api.key)
    .int16(api.version)
    .int32(correlationId)
    .string(clientId).buffer;
}

export interface ApiVersionRange {
  key: number;
  min: number;
  max: number;
}

export function decodeApiVersions(reader: Reader): ApiVersionRange[] {
  const errorCode = reader.int16();
  if (errorCode !== ERROR.none) throw new KafkaProtocolError(errorCode, 'ApiVersions');
  return reader.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  errorCode: number;
  partition: number;
  leader: number;
}

export interface TopicMetadata {
  errorCode: number;
  name: string;
  partitions: PartitionMetadata[];
}

export interface Metadata {
  brokers: BrokerAddress[];
  topics: TopicMetadata[];
}

export function encodeMetadataRequest(topics: readonly string[]): Buffer {
  const size = 4 + topics.reduce((sum, t) => sum + sizeOfString(t), 0) + 1;
  const writer = new Writer(size).int32(topics.length);
  for (const topic of topics) writer.string(topic);
  return writer.int8(0).buffer;
}

export function decodeMetadata(reader: Reader): Metadata {
  reader.int32(); // throttle time
  const brokers = reader.array((r) => {
    const nodeId = r.int32();
    const host = r.string() ?? '';
    const port = r.int32();
    r.string(); // rack
    return { nodeId, host, port };
  });
  reader.string(); // cluster id
  reader.int32(); // controller id
  const topics = reader.array((r) => {
    const errorCode = r.int16();
    const name = r.string() ?? '';
    r.int8(); // is internal
    const partitions = r.array((p) => {
      const errorCode = p.int16();
      const partition = p.int32();
      const leader = p.int32();
      p.array((x) => x.int32()); // replicas
      p.array((x) => x.int32()); // in-sync replicas
      p.array((x) => x.int32()); // offline replicas
      return { errorCode, partition, leader };
    });
    return { errorCode, name, partitions };
  });
  return { brokers, topics };
}

export function encodeInitProducerIdRequest(transactionTimeoutMs: number): Buffer {
  return new Writer(2 + 4).string(null).int32(transactionTimeoutMs).buffer;
}

export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

export function decodeInitProducerId(reader: Reader): ProducerIdentity {
  reader.int32(); // throttle time
  const errorCode = reader.int16();
  if (errorCode !== ERROR.none) throw new KafkaProtocolError(errorCode, 'InitProducerId');
  return { producerId: reader.int64(), producerEpoch: reader.int16() };
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export function decodeProduce(reader: Reader): ProducePartitionResult[] {
  const results: ProducePartitionResult[] = [];
  reader.array((r) => {
    const topic = r.string() ?? '';
    r.array((p) => {
      const partition = p.int32();
      const errorCode = p.int16();
      p.int64(); // base offset
      p.int64(); // log append time
      p.int64(); // log start offset
      results.push({ topic, partition, errorCode });
    });
  });
  return results;
}
