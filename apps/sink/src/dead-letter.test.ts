import { describe, expect, it } from 'vitest';
import { deadLetterMessage } from './dead-letter.js';

describe('deadLetterMessage', () => {
  it('keeps key, value and headers, and says why and where from', () => {
    const out = deadLetterMessage({
      message: {
        topic: 'wikipulse.recentchange',
        partition: 4,
        offset: '12345',
        key: Buffer.from('enwiki'),
        value: Buffer.from('{"meta":'),
        headers: { origin: 'ingestor' },
        timestamp: 1_700_000_000_000,
      },
      reason: 'invalid_json',
      detail: 'x'.repeat(2_000),
    });
    expect(out.key).toBe('enwiki');
    expect(out.value.toString()).toBe('{"meta":');
    expect(out.headers).toMatchObject({
      origin: 'ingestor',
      reason: 'invalid_json',
      'source-topic': 'wikipulse.recentchange',
      'source-partition': '4',
      'source-offset': '12345',
      'source-timestamp': '1700000000000',
    });
    expect(out.headers?.['detail']).toHaveLength(500);
  });
});
