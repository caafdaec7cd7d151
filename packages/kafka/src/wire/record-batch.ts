import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { OutgoingMessage } from '../types.js';
import { crc32c } from './crc32c.js';

const gzip = promisify(gzipCallback);

/** The fields of a record batch that the idempotent producer decides when it closes one. */
export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export type Compression = 'none' | 'gzip';

/** Bytes of a v2 record batch before its first record (up to and including the record count). */
export const BATCH_HEADER_SIZE = 61;

const INITIAL_CAPACITY = 32 * 1024;

/** Kafka's producer sequence numbers wrap from 2^31 − 1 to 0. */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % 0x80000000;
}

/**
 * One partition's record batch (magic 2) under construction. Each message is encoded into the
 * batch's buffer when it is appended, so its JavaScript strings can be collected at once
 * instead of waiting in a queue for the request; the header, the sequence number and the
 * CRC-32C are written when the batch is closed.
 */
export class RecordBatchBuilder {
  readonly topic: string;
  readonly partition: number;
  #buffer: Buffer;
  #length = BATCH_HEADER_SIZE;
  #count = 0;
  #first = 0;
  #max = 0;

  constructor(topic: string, partition: number, initialCapacity = INITIAL_CAPACITY) {
    this.topic = topic;
    this.partition = partition;
    this.#buffer = Buffer.allocUnsafe(Math.max(initialCapacity, BATCH_HEADER_SIZE + 64));
  }

  get count(): number {
    return this.#count;
  }

  /** Encoded bytes so far, header included. */
  get size(): number {
    return this.#length;
  }

  /**
   * Encodes a message (without a timestamp: `now`, create time) unless the batch already has
   * records and would grow beyond `maxBytes`; returns whether it was appended.
   */
  append(m: OutgoingMessage, now: number, maxBytes: number): boolean {
    const timestamp = m.timestamp ?? now;
    if (this.#count === 0) {
      this.#first = timestamp;
      this.#max = timestamp;
    }
    const delta = timestamp - this.#first;
    const keySize = m.key === null || m.key === undefined ? -1 : Buffer.byteLength(m.key);
    const valueSize = typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
    let body = 1 + sizeOfVarLong(delta) + sizeOfVarInt(this.#count);
    body += sizeOfVarInt(keySize) + Math.max(keySize, 0) + sizeOfVarInt(valueSize) + valueSize;
    let headerCount = 0;
    for (const name in m.headers) {
      const nameSize = Buffer.byteLength(name);
      const headerSize = Buffer.byteLength(m.headers[name]!);
      body += sizeOfVarInt(nameSize) + nameSize + sizeOfVarInt(headerSize) + headerSize;
      headerCount++;
    }
    body += sizeOfVarInt(headerCount);
    const recordSize = sizeOfVarInt(body) + body;
    if (this.#count > 0 && this.#length + recordSize > maxBytes) return false;
    this.#reserve(recordSize);

    const b = this.#buffer;
    let o = writeVarInt(b, this.#length, body);
    b[o++] = 0; // record attributes
    o = writeVarLong(b, o, delta);
    o = writeVarInt(b, o, this.#count);
    o = writeVarInt(b, o, keySize);
    if (keySize > 0) o += b.write(m.key!, o, keySize, 'utf8');
    o = writeVarInt(b, o, valueSize);
    if (typeof m.value === 'string') o += b.write(m.value, o, valueSize, 'utf8');
    else o += m.value.copy(b, o);
    o = writeVarInt(b, o, headerCount);
    for (const name in m.headers) {
      const value = m.headers[name]!;
      o = writeVarInt(b, o, Buffer.byteLength(name));
      o += b.write(name, o, 'utf8');
      o = writeVarInt(b, o, Buffer.byteLength(value));
      o += b.write(value, o, 'utf8');
    }
    this.#length = o;
    this.#count++;
    if (timestamp > this.#max) this.#max = timestamp;
    return true;
  }

  /** The finished batch: header, producer identity and sequence, CRC-32C; gzip on request. */
  async close(identity: BatchIdentity, compression: Compression): Promise<Buffer> {
    const batch =
      compression === 'none'
        ? this.#buffer.subarray(0, this.#length)
        : Buffer.concat([
            Buffer.alloc(BATCH_HEADER_SIZE),
            await gzip(this.#buffer.subarray(BATCH_HEADER_SIZE, this.#length), { level: 1 }),
          ]);
    batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt32BE(-1, 12); // partition leader epoch
    batch[16] = 2; // magic
    batch.writeInt16BE(compression === 'none' ? 0 : 1, 21); // attributes: codec; create time
    batch.writeInt32BE(this.#count - 1, 23); // last offset delta
    batch.writeBigInt64BE(BigInt(this.#first), 27);
    batch.writeBigInt64BE(BigInt(this.#max), 35);
    batch.writeBigInt64BE(identity.producerId, 43);
    batch.writeInt16BE(identity.producerEpoch, 51);
    batch.writeInt32BE(identity.baseSequence, 53);
    batch.writeInt32BE(this.#count, 57);
    batch.writeUInt32BE(crc32c(batch, 21), 17);
    return batch;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}

/** Zigzag varint (Kafka's signed 32-bit varint). */
export function sizeOfVarInt(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

export function writeVarInt(buffer: Buffer, offset: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buffer[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[offset++] = v;
  return offset;
}

/** Zigzag varlong for safe integers (timestamp deltas in milliseconds). */
export function sizeOfVarLong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

export function writeVarLong(buffer: Buffer, offset: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buffer[offset++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buffer[offset++] = v;
  return offset;
}
