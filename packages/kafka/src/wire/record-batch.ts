import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { OutgoingMessage } from '../types.js';
import { crc32c } from './crc32c.js';

const gzip = promisify(gzipCallback);

/** The fields of a record batch that the idempotent producer decides. */
export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export type Compression = 'none' | 'gzip';

/** Bytes of a v2 record batch before its first record (up to and including the record count). */
export const BATCH_HEADER_SIZE = 61;

/** Kafka's producer sequence numbers wrap from 2^31 − 1 to 0. */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % 0x80000000;
}

/**
 * Encodes one partition's messages as Kafka record batches (magic 2) of at most `maxBytes`
 * uncompressed (the broker's `message.max.bytes` is about 1 MB by default), in order, with
 * consecutive sequence numbers from `identity.baseSequence`. Each batch is one buffer sized in
 * advance, keys, values and headers written straight into it, the CRC-32C computed once.
 * Messages without a timestamp get `now` (create time). A message larger than `maxBytes`
 * travels alone (the broker decides whether it takes it).
 */
export async function encodeRecordBatches(
  messages: readonly OutgoingMessage[],
  identity: BatchIdentity,
  now: number,
  compression: Compression,
  maxBytes: number,
): Promise<Buffer[]> {
  // Per message: key size (−1 for none), value size, record body size, header count.
  const sizes = new Int32Array(messages.length * 4);
  const batches: Buffer[] = [];
  let start = 0;
  let batchSize = BATCH_HEADER_SIZE;
  let sequence = identity.baseSequence;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const keySize = m.key === null || m.key === undefined ? -1 : Buffer.byteLength(m.key);
    const valueSize = typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
    // Offset and timestamp deltas are counted at their widest, so a record's size does not
    // depend on which batch it ends up in.
    let body = 1 + 10 + 5 + sizeOfVarInt(keySize) + Math.max(keySize, 0);
    body += sizeOfVarInt(valueSize) + valueSize;
    let headerCount = 0;
    for (const name in m.headers) {
      const nameSize = Buffer.byteLength(name);
      const headerSize = Buffer.byteLength(m.headers[name]!);
      body += sizeOfVarInt(nameSize) + nameSize + sizeOfVarInt(headerSize) + headerSize;
      headerCount++;
    }
    body += sizeOfVarInt(headerCount);
    sizes[i * 4] = keySize;
    sizes[i * 4 + 1] = valueSize;
    sizes[i * 4 + 2] = body;
    sizes[i * 4 + 3] = headerCount;
    const recordSize = 5 + body;
    if (i > start && batchSize + recordSize > maxBytes) {
      batches.push(await encode(messages, start, i, sizes, sequence, identity, now, compression));
      sequence = nextSequence(sequence, i - start);
      start = i;
      batchSize = BATCH_HEADER_SIZE;
    }
    batchSize += recordSize;
  }
  if (start < messages.length) {
    batches.push(
      await encode(messages, start, messages.length, sizes, sequence, identity, now, compression),
    );
  }
  return batches;
}

async function encode(
  messages: readonly OutgoingMessage[],
  start: number,
  end: number,
  sizes: Int32Array,
  baseSequence: number,
  identity: BatchIdentity,
  now: number,
  compression: Compression,
): Promise<Buffer> {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = start; i < end; i++) {
    const t = messages[i]!.timestamp ?? now;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  // Exact sizes, now that the deltas are known.
  let recordsSize = 0;
  for (let i = start; i < end; i++) {
    const body =
      sizes[i * 4 + 2]! -
      15 +
      sizeOfVarLong((messages[i]!.timestamp ?? now) - first) +
      sizeOfVarInt(i - start);
    sizes[i * 4 + 2] = body;
    recordsSize += sizeOfVarInt(body) + body;
  }

  const inline = compression === 'none';
  const records = Buffer.allocUnsafe((inline ? BATCH_HEADER_SIZE : 0) + recordsSize);
  let o = inline ? BATCH_HEADER_SIZE : 0;
  for (let i = start; i < end; i++) {
    const m = messages[i]!;
    const keySize = sizes[i * 4]!;
    const valueSize = sizes[i * 4 + 1]!;
    o = writeVarInt(records, o, sizes[i * 4 + 2]!);
    records[o++] = 0; // record attributes
    o = writeVarLong(records, o, (m.timestamp ?? now) - first);
    o = writeVarInt(records, o, i - start);
    o = writeVarInt(records, o, keySize);
    if (keySize > 0) o += records.write(m.key!, o, keySize, 'utf8');
    o = writeVarInt(records, o, valueSize);
    if (typeof m.value === 'string') o += records.write(m.value, o, valueSize, 'utf8');
    else o += m.value.copy(records, o);
    o = writeVarInt(records, o, sizes[i * 4 + 3]!);
    for (const name in m.headers) {
      const value = m.headers[name]!;
      o = writeVarInt(records, o, Buffer.byteLength(name));
      o += records.write(name, o, 'utf8');
      o = writeVarInt(records, o, Buffer.byteLength(value));
      o += records.write(value, o, 'utf8');
    }
  }

  const batch = inline
    ? records
    : Buffer.concat([Buffer.alloc(BATCH_HEADER_SIZE), await gzip(records, { level: 1 })]);
  batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12); // partition leader epoch
  batch[16] = 2; // magic
  batch.writeInt16BE(inline ? 0 : 1, 21); // attributes: the codec; create time
  batch.writeInt32BE(end - start - 1, 23); // last offset delta
  batch.writeBigInt64BE(BigInt(first), 27);
  batch.writeBigInt64BE(BigInt(last), 35);
  batch.writeBigInt64BE(identity.producerId, 43);
  batch.writeInt16BE(identity.producerEpoch, 51);
  batch.writeInt32BE(baseSequence, 53);
  batch.writeInt32BE(end - start, 57);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
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
