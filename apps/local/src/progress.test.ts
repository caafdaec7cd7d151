import { describe, expect, it } from 'vitest';
import { RateMeter, duration, progressLine } from './progress.js';

describe('RateMeter', () => {
  it('measures the rate over its window', () => {
    const meter = new RateMeter(5_000);
    expect(meter.sample(0, 0)).toBe(0);
    expect(meter.sample(50, 1_000)).toBe(50);
    expect(meter.sample(100, 2_000)).toBe(50);
    // Samples older than the window fall out: the rate follows a slowdown.
    meter.sample(100, 8_000);
    expect(meter.sample(100, 9_000)).toBe(0);
  });
});

describe('progressLine', () => {
  it('reads as a sentence', () => {
    expect(
      progressLine({
        ingested: 12345,
        ratePerSecond: 41.26,
        lagSeconds: 0.8,
        storedRows: 12000,
        deadLettered: 2,
      }),
    ).toBe(
      'wikipulse: 12,345 events ingested (41.3/s), lag 0.8 s, 12,000 rows stored, 2 dead-lettered',
    );
    expect(
      progressLine({
        ingested: 0,
        ratePerSecond: 0,
        lagSeconds: null,
        storedRows: 0,
        deadLettered: 0,
      }),
    ).toContain('lag –');
  });
});

describe('duration', () => {
  it('picks a unit a person reads at a glance', () => {
    expect(duration(0.42)).toBe('0.4 s');
    expect(duration(720)).toBe('12 min');
    expect(duration(18_720)).toBe('5.2 h');
    expect(duration(5_749_245.8)).toBe('67 d');
  });
});
