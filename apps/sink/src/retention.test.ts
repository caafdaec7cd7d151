import { describe, expect, it } from 'vitest';
import type { ChangeRow } from '@wikipulse/store';
import { pastRetention } from './retention.js';

const row = (event_time: string) => ({ event_time }) as ChangeRow;
const cutoff = '2026-11-06 04:30:16.000';

describe('pastRetention', () => {
  it('finds the rows below the cutoff and the oldest of them', () => {
    const rows = [
      row('2026-12-01 00:00:00.000'),
      row('2026-10-01 12:00:00.000'),
      row('2026-11-06 04:30:15.999'),
      row('2026-11-06 04:30:16.000'),
      row('2026-09-30 23:59:59.999'),
    ];
    expect(pastRetention(rows, cutoff)).toEqual({
      rows: 3,
      oldest: '2026-09-30 23:59:59.999',
    });
  });

  it('leaves out the excluded rows', () => {
    const rows = [row('2026-09-01 00:00:00.000'), row('2026-10-01 00:00:00.000')];
    expect(pastRetention(rows, cutoff, new Set([0]))).toEqual({
      rows: 1,
      oldest: '2026-10-01 00:00:00.000',
    });
  });

  it('finds nothing in a batch inside the retention', () => {
    expect(pastRetention([row('2026-12-06 04:00:00.000')], cutoff)).toEqual({
      rows: 0,
      oldest: undefined,
    });
    expect(pastRetention([], cutoff)).toEqual({ rows: 0, oldest: undefined });
  });
});
