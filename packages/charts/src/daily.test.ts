import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dailyChartPng, dailyChartSvg, niceStep } from './daily.js';

const hourly = [
  { hour: 0, type: 'edit', changes: 120 },
  { hour: 0, type: 'log', changes: 30 },
  { hour: 13, type: 'new', changes: 15 },
  { hour: 13, type: 'edit', changes: 410 },
  { hour: 23, type: 'categorize', changes: 60 },
];

describe('the daily chart', () => {
  it('is a PNG of the chart size, byte-for-byte the same for the same data', () => {
    const a = dailyChartPng({ title: 'Changes per hour · de · 2026-12-05', hourly });
    const b = dailyChartPng({ title: 'Changes per hour · de · 2026-12-05', hourly });
    expect(a.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height, big-endian, after the signature and the chunk header.
    expect(a.readUInt32BE(16)).toBe(800);
    expect(a.readUInt32BE(20)).toBe(400);
    expect(createHash('sha256').update(a).digest('hex')).toBe(
      createHash('sha256').update(b).digest('hex'),
    );
    const other = dailyChartPng({ title: 'Changes per hour · de · 2026-12-05', hourly: [] });
    expect(other.equals(a)).toBe(false);
  });

  it('stacks each hour by type and scales the axis to the busiest hour', () => {
    const svg = dailyChartSvg({ title: 'x', hourly });
    // Five non-empty segments, plus the background and five legend keys.
    expect(svg.match(/<rect /g)).toHaveLength(11);
    // The busiest hour holds 425 changes: ticks every 200 up to 600.
    expect(svg).toContain('>600</text>');
    expect(svg).not.toContain('>800</text>');
  });

  it('escapes the title and ignores hours outside the day', () => {
    const svg = dailyChartSvg({
      title: '<script>&',
      hourly: [{ hour: 24, type: 'edit', changes: 5 }],
    });
    expect(svg).toContain('&lt;script&gt;&amp;');
    expect(svg.match(/<rect /g)).toHaveLength(6);
  });

  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect([0.5, 3, 7, 12, 180, 4200].map(niceStep)).toEqual([1, 5, 10, 20, 200, 5000]);
  });
});
