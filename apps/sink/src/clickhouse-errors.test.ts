import { describe, expect, it } from 'vitest';
import { isDataError } from './clickhouse-errors.js';

describe('isDataError', () => {
  it('tells refused data from an unavailable ClickHouse', () => {
    expect(isDataError({ code: '72', message: 'CANNOT_PARSE_NUMBER' })).toBe(true);
    expect(isDataError({ code: '241', message: 'MEMORY_LIMIT_EXCEEDED' })).toBe(false);
    expect(isDataError(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isDataError(null)).toBe(false);
  });
});
