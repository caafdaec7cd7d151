import { describe, expect, it } from 'vitest';
import { filterCondition, likePattern } from './change-filter.js';

describe('a change filter as SQL', () => {
  it('passes every value as a parameter, never in the SQL text', () => {
    const { where, params } = filterCondition({
      kind: 'changes',
      language: "de' OR 1=1 --",
      namespaces: [0, 1],
      types: ['edit'],
      bots: 'hide',
      anon: 'only',
      minSize: 500,
      user: 'Robert"); DROP TABLE changes; --',
      title: 'Berlin*',
      logType: 'delete',
    });
    expect(where).not.toContain('OR 1=1');
    expect(where).not.toContain('DROP');
    expect(where).not.toContain('Berlin');
    expect(params).toEqual({
      language: "de' OR 1=1 --",
      namespaces: [0, 1],
      types: ['edit'],
      bots: false,
      anon: true,
      minSize: 500,
      user: 'Robert"); DROP TABLE changes; --',
      title: 'Berlin%',
      logType: 'delete',
    });
  });

  it('selects everything without filters and refuses spike feeds', () => {
    expect(filterCondition({ kind: 'changes' })).toEqual({ where: '1', params: {} });
    expect(() => filterCondition({ kind: 'spikes' })).toThrow(/not spikes/);
  });

  it('turns title filters into LIKE patterns whose only wildcard is the filter’s *', () => {
    expect(likePattern('Berlin')).toBe('Berlin%');
    expect(likePattern('*Mauer')).toBe('%Mauer');
    expect(likePattern('B*r*M')).toBe('B%r%M');
    expect(likePattern('50%_\\x')).toBe('50\\%\\_\\\\x%');
  });
});
