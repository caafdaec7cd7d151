import { describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { createFilter } from './filters.js';

function event(wiki: string, server: string): RecentChange {
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: { id: 'x', dt: '2026-01-01T00:00:00Z', stream: 'mediawiki.recentchange', domain: server },
    wiki,
    server_name: server,
  };
}

const en = event('enwiki', 'en.wikipedia.org');
const de = event('dewiktionary', 'de.wiktionary.org');
const commons = event('commonswiki', 'commons.wikimedia.org');

describe('createFilter', () => {
  it('keeps everything without filters', () => {
    const keep = createFilter({ wikis: [], langs: [] });
    expect([en, de, commons].map(keep)).toEqual([true, true, true]);
  });

  it('matches wikis by database name or host, case-insensitively', () => {
    const keep = createFilter({ wikis: ['EnWiki', 'commons.wikimedia.org'], langs: [] });
    expect([en, de, commons].map(keep)).toEqual([true, false, true]);
  });

  it('matches languages; multilingual wikis have none', () => {
    const keep = createFilter({ wikis: [], langs: ['de', 'en'] });
    expect([en, de, commons].map(keep)).toEqual([true, true, false]);
  });

  it('needs both when both are given', () => {
    const keep = createFilter({ wikis: ['enwiki', 'dewiktionary'], langs: ['de'] });
    expect([en, de, commons].map(keep)).toEqual([false, true, false]);
  });
});
