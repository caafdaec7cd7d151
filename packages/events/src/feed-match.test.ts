import { describe, expect, it } from 'vitest';
import type { FeedFilter } from './feed-filter.js';
import { isAnonymous, matches, titleMatches } from './feed-match.js';
import type { RecentChange } from './types.js';

const change = (fields: Partial<RecentChange> = {}): RecentChange => ({
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: { id: 'a', dt: '2026-12-06T10:00:00Z', stream: 'mediawiki.recentchange' },
  type: 'edit',
  namespace: 0,
  title: 'Berliner Mauer',
  user: 'Alice',
  bot: false,
  minor: false,
  length: { old: 100, new: 700 },
  wiki: 'dewiki',
  server_name: 'de.wikipedia.org',
  ...fields,
});
const f = (fields: Omit<FeedFilter, 'kind'>): FeedFilter => ({ kind: 'changes', ...fields });

describe('title patterns', () => {
  it('matches prefixes and *-patterns over the whole title', () => {
    expect(titleMatches('Berlin', 'Berliner Mauer')).toBe(true);
    expect(titleMatches('Mauer', 'Berliner Mauer')).toBe(false);
    expect(titleMatches('*Mauer', 'Berliner Mauer')).toBe(true);
    expect(titleMatches('Berlin*Mauer', 'Berliner Mauer')).toBe(true);
    expect(titleMatches('B*r*M*r', 'Berliner Mauer')).toBe(true);
    expect(titleMatches('*er*er*', 'Berliner Mauer')).toBe(true);
    expect(titleMatches('*er*er*er*er*', 'Berliner Mauer')).toBe(false);
    expect(titleMatches('a*a', 'a')).toBe(false);
    expect(titleMatches('ab*ba', 'aba')).toBe(false);
    expect(titleMatches('*', '')).toBe(true);
  });

  it('stays fast on the patterns that make backtracking matchers explode', () => {
    const title = 'a'.repeat(255);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i += 1) titleMatches('*a*a*a*a*a*b', title);
    expect(titleMatches('*a*a*a*a*a*b', title)).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});

describe('matching a change', () => {
  it('applies every part of the filter, combined with AND', () => {
    expect(matches(f({}), change())).toBe(true);
    expect(matches(f({ language: 'de' }), change())).toBe(true);
    expect(matches(f({ language: 'en' }), change())).toBe(false);
    expect(
      matches(
        f({ language: '' }),
        change({ wiki: 'commonswiki', server_name: 'commons.wikimedia.org' }),
      ),
    ).toBe(true);
    expect(matches(f({ wiki: 'dewiki' }), change())).toBe(true);
    expect(matches(f({ namespaces: [1] }), change())).toBe(false);
    expect(matches(f({ types: ['new'] }), change())).toBe(false);
    expect(matches(f({ bots: 'only' }), change())).toBe(false);
    expect(matches(f({ bots: 'hide' }), change({ bot: true }))).toBe(false);
    expect(matches(f({ minor: 'only' }), change({ minor: true }))).toBe(true);
    expect(matches(f({ anon: 'only' }), change({ user: '192.0.2.7' }))).toBe(true);
    expect(matches(f({ anon: 'hide' }), change({ user: '~2025-31415-9' }))).toBe(false);
    expect(matches(f({ minSize: 600 }), change())).toBe(true);
    expect(matches(f({ minSize: 601 }), change())).toBe(false);
    expect(matches(f({ minSize: 500 }), change({ length: { old: 900, new: 100 } }))).toBe(true);
    expect(matches(f({ minSize: 1 }), change({ type: 'log', length: {} }))).toBe(false);
    expect(matches(f({ user: 'Alice B' }), change({ user: 'Alice_B' }))).toBe(true);
    expect(matches(f({ title: 'Berliner_' }), change())).toBe(false);
    expect(matches(f({ title: '*Mauer' }), change({ title: 'Berliner_Mauer' }))).toBe(true);
    expect(matches(f({ logType: 'delete' }), change({ type: 'log', log_type: 'delete' }))).toBe(
      true,
    );
    expect(matches(f({ logType: 'delete' }), change())).toBe(false);
    expect(
      matches(f({ language: 'de', bots: 'hide', minSize: 600, title: 'Berlin' }), change()),
    ).toBe(true);
    expect(matches({ kind: 'spikes' }, change())).toBe(false);
  });

  it('tells anonymous and temporary accounts from named ones', () => {
    expect(isAnonymous('2001:db8::1')).toBe(true);
    expect(isAnonymous('~2025-1')).toBe(true);
    expect(isAnonymous('Alice')).toBe(false);
    expect(isAnonymous('Cafe')).toBe(false);
  });
});
