import { describe, expect, it } from 'vitest';
import { suggest } from './suggest.js';

describe('feed option autocomplete', () => {
  it('suggests languages and wikis for autocomplete', () => {
    expect(suggest('lang', 'de')[0]).toBe('de');
    expect(suggest('lang', 'zh-')).toContain('zh-yue');
    expect(suggest('wiki', 'dewik')).toEqual(expect.arrayContaining(['dewiki', 'dewiktionary']));
    expect(suggest('wiki', 'comm')).toContain('commonswiki');
    expect(suggest('lang', '')).toHaveLength(25);
    expect(suggest('other', 'x')).toEqual([]);
  });
});
