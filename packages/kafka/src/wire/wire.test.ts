import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../types.js';
import { crc32c } from './crc32c.js';
import { murmur2, partitionForKey } from './murmur2.js';
import {
  BATCH_HEADER_SIZE,
  encodeRecordBatches,
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

  it('decode with an independent implementation to what was sent', async () => {
    const now = 1_700_000_000_500;
    const [batch, ...rest] = await encodeRecordBatches(messages, identity, now, 'none', 1e6);
    expect(rest).toEqual([]);
    expect(batch!.readUInt32BE(17)).toBe(crc32c(batch!, 21));
    const decoded = await decodeRecordBatch(new Decoder(batch!));
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
    expect(decoded.records.map((r) => Number(r.timestamp))).toEqual([
      now,
      now,
      1_700_000_000_000,
      now,
    ]);
  });

  it('are cut below the size limit with consecutive sequence numbers, compressed or not', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      key: `k${i}`,
      value: JSON.stringify({ i, text: 'x'.repeat(900) }),
    }));
    for (const compression of ['none', 'gzip'] as const) {
      const batches = await encodeRecordBatches(many, identity, Date.now(), compression, 100_000);
      expect(batches.length).toBeGreaterThan(4);
      const values: string[] = [];
      let sequence = identity.baseSequence;
      for (const batch of batches) {
        if (compression === 'none') expect(batch.length).toBeLessThanOrEqual(100_000);
        expect(batch.readInt16BE(21) & 7).toBe(compression === 'none' ? 0 : 1);
        const decoded = await decodeRecordBatch(new Decoder(batch));
        expect(decoded.firstSequence).toBe(sequence);
        sequence += decoded.records.length;
        values.push(...decoded.records.map((r) => r.value.toString()));
      }
      expect(values).toEqual(many.map((m) => m.value));
      expect(batches[0]!.length).toBeGreaterThan(BATCH_HEADER_SIZE);
    }
  });
});
