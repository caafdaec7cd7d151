import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../types.js';
import { crc32c } from './crc32c.js';
import { murmur2, partitionForKey } from './murmur2.js';
import {
  RecordBatchBuilder,
  nextSequence,
  sizeOfVarInt,
  sizeOfVarLong,
  writeVarInt,
  writeVarLong,
} from './record-batch.js';

// kafkajs, an independent implementation of the same formats, checks the encoder's output.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer,
) => number;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{
  firstSequence: number;
  producerId: string;
  producerEpoch: number;
  records: {
    key: Buffer | null;
    value: Buffer;
    headers: Record<string, Buffer>;
    timestamp: string;
    offset: string;
  }[];
}>;

describe('crc32c', () => {
  it('matches the standard check value and splits consistently', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    const data = randomBytes(1000);
    const framed = Buffer.concat([Buffer.from('xyz'), data]);
    expect(crc32c(framed, 3)).toBe(crc32c(data));
  });
});

describe('murmur2', () => {
  it("gives the Java client's hashes", () => {
    // Apache Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('partitions keys as kafkajs does, including non-ASCII titles', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `${['en', 'ja', 'commons'][i % 3]}.wikipedia|${randomBytes(i % 40).toString('base64')}€日本${i}`;
      const expected = (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % 12;
      expect(partitionForKey(key, 12)).toBe(expected);
    }
  });
});

describe('varints', () => {
  it('round-trip zigzag values at every width', () => {
    for (const value of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      const buffer = Buffer.alloc(10);
      expect(writeVarInt(buffer, 0, value)).toBe(sizeOfVarInt(value));
    }
    for (const value of [0, 1, -1, 1_700_000_000_000, -86_400_000]) {
      const buffer = Buffer.alloc(10);
      expect(writeVarLong(buffer, 0, value)).toBe(sizeOfVarLong(value));
    }
    expect(nextSequence(2 ** 31 - 2, 3)).toBe(1);
  });
});

describe('record batches', () => {
  const identity = { producerId: 4711n, producerEpoch: 3, baseSequence: 10 };
  const messages: OutgoingMessage[] = [
    { key: 'en.wikipedia|Zürich', value: '{"a":"ü"}', headers: { 'meta-id': 'x', wiki: 'enwiki' } },
    { key: null, value: Buffer.from('raw bytes') },
    { key: '', value: '', timestamp: 1_700_000_000_000 },
    { value: '日本語'.repeat(100), headers: {} },
  ];

  it('decode with an independent implementation to what was appended', async () => {
    const now = 1_700_000_000_500;
    const builder = new RecordBatchBuilder('t', 0, 64);
    for (const m of messages) expect(builder.append(m, now, 1e6)).toBe(true);
    const batch = await builder.close(identity, 'none');
    expect(batch.length).toBe(builder.size);
    expect(batch.readUInt32BE(17)).toBe(crc32c(batch, 21));
    const decoded = await decodeRecordBatch(new Decoder(batch));
    expect(decoded.firstSequence).toBe(10);
    expect(decoded.producerId).toBe('4711');
    expect(decoded.producerEpoch).toBe(3);
    expect(decoded.records.map((r) => r.key?.toString() ?? null)).toEqual([
      'en.wikipedia|Zürich',
      null,
      '',
      null,
    ]);
    expect(decoded.records.map((r) => r.value.toString())).toEqual([
      '{"a":"ü"}',
      'raw bytes',
      '',
      '日本語'.repeat(100),
    ]);
    expect(decoded.records[0]!.headers['meta-id']!.toString()).toBe('x');
    expect(decoded.records[0]!.headers['wiki']!.toString()).toBe('enwiki');
    // An earlier timestamp than the first record's is a negative delta.
    expect(decoded.records.map((r) => Number(r.timestamp))).toEqual([
      now,
      now,
      1_700_000_000_000,
      now,
    ]);
    expect(decoded.records.map((r) => Number(r.offset))).toEqual([0, 1, 2, 3]);
  });

  it('refuse a record beyond the size limit unless empty, compressed or not', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      const builder = new RecordBatchBuilder('t', 1);
      const value = JSON.stringify({ text: 'x'.repeat(900) });
      let appended = 0;
      while (builder.append({ key: `k${appended}`, value }, Date.now(), 100_000)) appended++;
      expect(appended).toBeGreaterThan(90);
      expect(builder.size).toBeLessThanOrEqual(100_000);
      const batch = await builder.close(identity, compression);
      expect(batch.readInt16BE(21) & 7).toBe(compression === 'none' ? 0 : 1);
      const decoded = await decodeRecordBatch(new Decoder(batch));
      expect(decoded.records.map((r) => r.key!.toString())).toEqual(
        Array.from({ length: appended }, (_, i) => `k${i}`),
      );
      const empty = new RecordBatchBuilder('t', 1);
      expect(empty.append({ value: 'y'.repeat(200_000) }, Date.now(), 100_000)).toBe(true);
    }
  });
});
