import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, deadLetterMessage, truncateUtf8 } from './dead-letter.js';

describe('deadLetterMessage', () => {
  it("keeps a Kafka message's key, value and headers, and says why and where from", () => {
    const out = deadLetterMessage({
      reason: 'refused_by_clickhouse',
      detail: 'x'.repeat(2_000),
      by: 'wikipulse-sink',
      source: {
        topic: 'wikipulse.recentchange',
        partition: 4,
        offset: '12345',
        timestamp: 1_700_000_000_000,
      },
      key: 'enwiki|Example',
      value: Buffer.from('{"meta":'),
      headers: { 'meta-id': 'abc' },
    });
    expect(out.key).toBe('enwiki|Example');
    expect(out.value.toString()).toBe('{"meta":');
    expect(out.timestamp).toBeUndefined();
    expect(out.headers).toEqual({
      'meta-id': 'abc',
      reason: 'refused_by_clickhouse',
      detail: `${'x'.repeat(497)}...`,
      'dead-lettered-by': 'wikipulse-sink',
      'source-topic': 'wikipulse.recentchange',
      'source-partition': '4',
      'source-offset': '12345',
      'source-timestamp': '1700000000000',
    });
  });

  it('gives an event refused on the stream the same headers, with its stream position', () => {
    const out = deadLetterMessage({
      reason: 'invalid_json',
      detail: 'Unexpected end of JSON input',
      by: 'wikipulse-ingestor',
      source: { position: '[{"topic":"eqiad.mediawiki.recentchange","timestamp":5}]' },
      value: '{"meta":',
      timestamp: 5,
    });
    expect(out).toEqual({
      key: null,
      value: '{"meta":',
      timestamp: 5,
      headers: {
        [DEAD_LETTER_HEADERS.reason]: 'invalid_json',
        [DEAD_LETTER_HEADERS.detail]: 'Unexpected end of JSON input',
        [DEAD_LETTER_HEADERS.by]: 'wikipulse-ingestor',
        [DEAD_LETTER_HEADERS.sourcePosition]:
          '[{"topic":"eqiad.mediawiki.recentchange","timestamp":5}]',
      },
    });
  });

  it('lets no header the event had pass for one of its own', () => {
    const out = deadLetterMessage({
      reason: 'invalid_event',
      detail: 'meta.id is missing',
      by: 'wikipulse-sink',
      source: { topic: 't', partition: 0, offset: '1', timestamp: 2 },
      value: '{}',
      headers: { reason: 'forged', 'dead-lettered-by': 'someone' },
    });
    expect(out.headers?.['reason']).toBe('invalid_event');
    expect(out.headers?.['dead-lettered-by']).toBe('wikipulse-sink');
  });
});

describe('truncateUtf8', () => {
  it('keeps the longest prefix that fits without cutting a character', () => {
    expect(truncateUtf8('aé日b', 4)).toBe('aé');
    expect(truncateUtf8('aé日b', 6)).toBe('aé日');
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});
