import { compatibilityPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { javaPartitioner, murmur2 } from './partitioner.js';
import { JAVA_MURMUR2 } from './testing/murmur2.js';

describe('murmur2', () => {
  it("gives Apache Kafka's own test vectors (UtilsTest.testMurmur2)", () => {
    for (const [key, hash] of Object.entries(JAVA_MURMUR2)) {
      expect(murmur2(Buffer.from(key)), key).toBe(hash);
    }
  });

  it("places every key where the Kafka client's compatibility partitioner does", () => {
    // Every tail length, bytes above 0x7f (signed in Java), and real page keys.
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'enwiki|Main Page',
      'dewiki|Straßenbahn',
      'jawiki|東京都',
      'commonswiki|File:Ünïcødé 🙂.jpg',
      'wikidatawiki|Q42',
    ];
    for (let i = 0; i < 2000; i += 1) {
      const bytes = Buffer.alloc(i % 67);
      for (let j = 0; j < bytes.length; j += 1) bytes[j] = (i * 31 + j * 197) & 0xff;
      keys.push(bytes.toString('latin1'));
    }
    for (const key of keys) {
      const bytes = Buffer.from(key, 'latin1');
      expect(javaPartitioner(undefined, bytes), key).toBe(
        compatibilityPartitioner(undefined as never, bytes),
      );
      const utf8 = Buffer.from(key);
      expect(javaPartitioner(undefined, utf8), key).toBe(
        compatibilityPartitioner(undefined as never, utf8),
      );
    }
  });

  it('sends a message without a key to partition 0', () => {
    expect(javaPartitioner(undefined, undefined)).toBe(0);
  });
});
