import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, tells the user once, then refills one command per interval', () => {
    const limiter = new RateLimiter({ burst: 3, refillMs: 1000 });
    const at = (ms: number) => limiter.take('u', ms);
    expect([at(0), at(10), at(20)].every((d) => d.allowed)).toBe(true);
    expect(at(30)).toEqual({ allowed: false, notify: true, retryAfterMs: 970 });
    expect(at(40)).toEqual({ allowed: false, notify: false, retryAfterMs: 960 });
    expect(at(1000)).toEqual({ allowed: true });
    expect(at(1100)).toMatchObject({ allowed: false, notify: true });
    expect(at(10_000)).toEqual({ allowed: true });
  });

  it('keeps users apart and forgets the least recently seen beyond its bound', () => {
    const limiter = new RateLimiter({ burst: 1, refillMs: 60_000, maxUsers: 2 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.take('a', 1).allowed).toBe(false);
    expect(limiter.take('c', 2).allowed).toBe(true);
    // 'b' was evicted (least recently used), so it starts with a full bucket again.
    expect(limiter.take('b', 3).allowed).toBe(true);
  });
});
