import { describe, expect, it } from 'vitest';
import { isPosition, normaliseSince, parsePosition, positionTime, withSince } from './position.js';

const live =
  '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1532031066001},{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":-1}]';

describe('stream positions', () => {
  it('reads the per-partition entries of a live SSE id', () => {
    expect(parsePosition(live)).toEqual([
      { topic: 'eqiad.mediawiki.recentchange', partition: 0, timestamp: 1532031066001 },
      { topic: 'codfw.mediawiki.recentchange', partition: 0, offset: -1 },
    ]);
    expect(positionTime(live)).toBe(1532031066001);
  });

  it.each(['', 'abc', '{}', '[]', '[1]', '[{"topic":"t"}]', '[{"topic":"t","partition":0}]'])(
    'refuses %j',
    (text) => {
      expect(isPosition(text)).toBe(false);
      expect(positionTime(text)).toBeUndefined();
    },
  );

  it('has no time when every partition is given by offset', () => {
    expect(positionTime('[{"topic":"t","partition":0,"offset":42}]')).toBeUndefined();
  });
});

describe('since', () => {
  it('accepts epoch milliseconds and ISO dates, normalised to ISO', () => {
    expect(normaliseSince('1700000000000')).toBe('2023-11-14T22:13:20.000Z');
    expect(normaliseSince('2026-09-17T03:00:00Z')).toBe('2026-09-17T03:00:00.000Z');
    expect(normaliseSince('yesterday')).toBeUndefined();
    expect(normaliseSince(' ')).toBeUndefined();
  });

  it('sets the query parameter, keeping others', () => {
    expect(
      withSince('https://s.example/v2/stream/recentchange?x=1', '2026-01-01T00:00:00.000Z'),
    ).toBe('https://s.example/v2/stream/recentchange?x=1&since=2026-01-01T00%3A00%3A00.000Z');
  });
});
