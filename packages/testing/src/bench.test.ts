import { describe, expect, it } from 'vitest';
import { MemorySampler, percentile } from './bench.js';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('MemorySampler', () => {
  it('reports a peak at least as large as the current use', () => {
    const sampler = new MemorySampler();
    const { peakRssMiB, peakHeapMiB } = sampler.stop();
    expect(peakRssMiB).toBeGreaterThanOrEqual(peakHeapMiB);
    expect(peakHeapMiB).toBeGreaterThan(0);
  });
});
