import { describe, expect, it } from 'vitest';
import { backoffMs, isDataError, sleep } from './retry.js';

describe('backoffMs', () => {
  it('doubles from the base up to the cap, jittered within the upper half', () => {
    expect(backoffMs(0, 200, 30_000, () => 0)).toBe(100);
    expect(backoffMs(0, 200, 30_000, () => 1)).toBe(200);
    expect(backoffMs(3, 200, 30_000, () => 1)).toBe(1600);
    expect(backoffMs(50, 200, 30_000, () => 1)).toBe(30_000);
    expect(backoffMs(50, 200, 30_000, () => 0)).toBe(15_000);
  });
});

describe('isDataError', () => {
  it('tells refused data from an unavailable ClickHouse', () => {
    expect(isDataError({ code: '72', message: 'CANNOT_PARSE_NUMBER' })).toBe(true);
    expect(isDataError({ code: '241', message: 'MEMORY_LIMIT_EXCEEDED' })).toBe(false);
    expect(isDataError(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isDataError(null)).toBe(false);
  });
});

describe('sleep', () => {
  it('rejects at once when aborted', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
  });
});
