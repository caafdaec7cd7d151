import { describe, expect, it } from 'vitest';
import { languageOf, wikiSite } from './language.js';

describe('wikiSite', () => {
  it.each([
    ['enwiki', 'en.wikipedia.org', 'en', 'wikipedia'],
    ['enwikiquote', 'en.wikiquote.org', 'en', 'wikiquote'],
    ['arwiktionary', 'ar.wiktionary.org', 'ar', 'wiktionary'],
    ['zh_min_nanwiki', 'zh-min-nan.wikipedia.org', 'zh-min-nan', 'wikipedia'],
    ['be_x_oldwiki', 'be-tarask.wikipedia.org', 'be-tarask', 'wikipedia'],
    ['simplewiki', 'simple.wikipedia.org', 'simple', 'wikipedia'],
    ['commonswiki', 'commons.wikimedia.org', null, 'commons'],
    ['wikidatawiki', 'www.wikidata.org', null, 'wikidata'],
    ['metawiki', 'meta.wikimedia.org', null, 'meta'],
    ['specieswiki', 'species.wikimedia.org', null, 'species'],
    ['mediawikiwiki', 'www.mediawiki.org', null, 'mediawiki'],
    ['testwiki', 'test.wikipedia.org', null, 'test'],
    ['sourceswiki', 'wikisource.org', null, 'wikisource'],
    ['ruwikimedia', 'ru.wikimedia.org', null, 'wikimedia'],
  ])('%s (%s) → %s / %s', (wiki, server, language, project) => {
    expect(wikiSite(wiki, server)).toEqual({ language, project });
  });

  it('falls back to the database name when the host is missing', () => {
    expect(wikiSite('dewikivoyage', undefined)).toEqual({ language: 'de', project: 'wikivoyage' });
    expect(wikiSite('zh_yuewiki', undefined)).toEqual({ language: 'zh-yue', project: 'wikipedia' });
    expect(wikiSite('commonswiki', undefined)).toEqual({ language: null, project: 'commons' });
    expect(wikiSite(undefined, undefined)).toEqual({ language: null, project: 'unknown' });
  });

  it('languageOf reads an event', () => {
    expect(languageOf({ wiki: 'idwiki', server_name: 'id.wikipedia.org' })).toBe('id');
  });
});
