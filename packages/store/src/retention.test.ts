import { describe, expect, it } from 'vitest';
import { retentionCutoff } from './retention.js';

describe('retentionCutoff', () => {
  const now = Date.parse('2026-12-06T04:30:15.250Z');

  it('is the first event time still inside the retention, to the second', () => {
    expect(retentionCutoff(30, now)).toBe('2026-11-06 04:30:16.000');
    expect(retentionCutoff(1, now)).toBe('2026-12-05 04:30:16.000');
  });

  it('expires a row whose TTL second is the current second, as ClickHouse does (ttl <= now)', () => {
    const cutoff = retentionCutoff(30, now);
    // TTL = 2026-12-06 04:30:15, the current second: expired.
    expect('2026-11-06 04:30:15.999' < cutoff).toBe(true);
    // TTL = 2026-12-06 04:30:16, a second ahead: kept.
    expect('2026-11-06 04:30:16.000' < cutoff).toBe(false);
  });

  it('does not depend on the milliseconds of now', () => {
    expect(retentionCutoff(30, Date.parse('2026-12-06T04:30:15.000Z'))).toBe(
      retentionCutoff(30, Date.parse('2026-12-06T04:30:15.999Z')),
    );
  });
});
