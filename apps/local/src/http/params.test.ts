import { describe, expect, it } from 'vitest';
import { BadRequest, changeFilter, day, feedId, integer, language } from './params.js';

const q = (s: string) => new URLSearchParams(s);
const now = new Date('2026-11-22T12:00:00Z');

describe('HTTP parameters', () => {
  it('reads languages, including multilingual and long codes', () => {
    expect(language(q(''), 'en')).toBe('en');
    expect(language(q('lang=DE'), 'en')).toBe('de');
    expect(language(q('lang=zh-min-nan'), 'en')).toBe('zh-min-nan');
    expect(language(q('lang='), 'en')).toBe('');
    expect(() => language(q("lang=en' OR 1=1"), 'en')).toThrow(BadRequest);
    expect(() => language(q(`lang=${'a'.repeat(40)}`), 'en')).toThrow(BadRequest);
  });

  it('reads bounded integers', () => {
    expect(integer(q(''), 'limit', 10, 1, 100)).toBe(10);
    expect(integer(q('limit=100'), 'limit', 10, 1, 100)).toBe(100);
    for (const bad of ['0', '101', '-1', '1.5', '1e3', 'ten', '9999999999']) {
      expect(() => integer(q(`limit=${bad}`), 'limit', 10, 1, 100)).toThrow(/limit must be/);
    }
  });

  it('reads real past days only', () => {
    expect(day(q(''), now)).toBe('2026-11-22');
    expect(day(q('date=2026-02-28'), now)).toBe('2026-02-28');
    expect(() => day(q('date=2026-02-30'), now)).toThrow(/real day/);
    expect(() => day(q('date=22/11/2026'), now)).toThrow(/real day/);
    expect(() => day(q('date=2026-11-23'), now)).toThrow(/future/);
  });

  it('reads a feed link’s filters and id, refusing what !feed add refuses', () => {
    expect(changeFilter(q('lang=de&ns=0&feed=k3m9x2ab&limit=5'), ['feed', 'limit'])).toEqual({
      kind: 'changes',
      language: 'de',
      namespaces: [0],
    });
    expect(() => changeFilter(q('lang=de&page=2'), ['feed'])).toThrow(BadRequest);
    expect(() => changeFilter(q('bots=maybe'), [])).toThrow(/bots takes hide or only/);
    expect(feedId(q('lang=de'))).toBeNull();
    expect(feedId(q('feed=k3m9x2ab'))).toBe('k3m9x2ab');
    expect(() => feedId(q('feed=../../etc'))).toThrow(/feed must be/);
  });
});
