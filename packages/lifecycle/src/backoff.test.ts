import { describe, expect, it } from 'vitest';
import { Backoff, sleep } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling per attempt up to the maximum, with full jitter', () => {
    const top = new Backoff(100, 1000, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    const bottom = new Backoff(100, 1000, () => 0);
    expect(bottom.next()).toBe(0);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(100, 10_000, () => 0.5);
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    expect(backoff.next()).toBe(200);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('spreads delays between clients', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff(1000, 1000).next()));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('sleep', () => {
  it('waits', async () => {
    const started = performance.now();
    await sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it("rejects at once with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, { signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    await expect(sleep(10, { signal: controller.signal })).rejects.toThrow('stopping');
  });
});
