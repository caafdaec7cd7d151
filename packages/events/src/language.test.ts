import { describe, expect, it } from 'vitest';
import { languageOf, wikiSite } from './language.js';

/**
 * `wiki` and `server_name` pairs as Wikimedia serves them: the first block from the recordings
 * in data/recentchange, the rest from Wikimedia's database lists (operations-mediawiki-config
 * `dblists/*.dblist`) with the host its `MWMultiVersion` maps each one to.
 */
const SITES: readonly (readonly [string, string, string | null, string])[] = [
  ['enwiki', 'en.wikipedia.org', 'en', 'wikipedia'],
  ['dewiki', 'de.wikipedia.org', 'de', 'wikipedia'],
  ['idwiki', 'id.wikipedia.org', 'id', 'wikipedia'],
  ['cewiki', 'ce.wikipedia.org', 'ce', 'wikipedia'],
  ['thwiki', 'th.wikipedia.org', 'th', 'wikipedia'],
  ['enwikiquote', 'en.wikiquote.org', 'en', 'wikiquote'],
  ['arwiktionary', 'ar.wiktionary.org', 'ar', 'wiktionary'],
  ['mswiktionary', 'ms.wiktionary.org', 'ms', 'wiktionary'],
  ['enwiktionary', 'en.wiktionary.org', 'en', 'wiktionary'],
  ['commonswiki', 'commons.wikimedia.org', null, 'commons'],
  ['wikidatawiki', 'www.wikidata.org', null, 'wikidata'],

  ['frwikisource', 'fr.wikisource.org', 'fr', 'wikisource'],
  ['dewikibooks', 'de.wikibooks.org', 'de', 'wikibooks'],
  ['srwikinews', 'sr.wikinews.org', 'sr', 'wikinews'],
  ['ruwikiversity', 'ru.wikiversity.org', 'ru', 'wikiversity'],
  ['dewikivoyage', 'de.wikivoyage.org', 'de', 'wikivoyage'],
  ['anpwiki', 'anp.wikipedia.org', 'anp', 'wikipedia'],
  ['simplewiki', 'simple.wikipedia.org', 'simple', 'wikipedia'],
  ['simplewiktionary', 'simple.wiktionary.org', 'simple', 'wiktionary'],
  ['be_x_oldwiki', 'be-tarask.wikipedia.org', 'be-tarask', 'wikipedia'],
  ['zh_min_nanwiki', 'zh-min-nan.wikipedia.org', 'zh-min-nan', 'wikipedia'],
  ['zh_min_nanwikisource', 'zh-min-nan.wikisource.org', 'zh-min-nan', 'wikisource'],
  ['zh_yuewiki', 'zh-yue.wikipedia.org', 'zh-yue', 'wikipedia'],
  ['zh_classicalwiki', 'zh-classical.wikipedia.org', 'zh-classical', 'wikipedia'],
  ['roa_rupwiktionary', 'roa-rup.wiktionary.org', 'roa-rup', 'wiktionary'],
  ['roa_tarawiki', 'roa-tara.wikipedia.org', 'roa-tara', 'wikipedia'],
  ['bat_smgwiki', 'bat-smg.wikipedia.org', 'bat-smg', 'wikipedia'],
  ['map_bmswiki', 'map-bms.wikipedia.org', 'map-bms', 'wikipedia'],
  ['nds_nlwiki', 'nds-nl.wikipedia.org', 'nds-nl', 'wikipedia'],
  ['cbk_zamwiki', 'cbk-zam.wikipedia.org', 'cbk-zam', 'wikipedia'],
  ['fiu_vrowiki', 'fiu-vro.wikipedia.org', 'fiu-vro', 'wikipedia'],
  ['metawiki', 'meta.wikimedia.org', null, 'meta'],
  ['specieswiki', 'species.wikimedia.org', null, 'species'],
  ['incubatorwiki', 'incubator.wikimedia.org', null, 'incubator'],
  ['outreachwiki', 'outreach.wikimedia.org', null, 'outreach'],
  ['foundationwiki', 'foundation.wikimedia.org', null, 'foundation'],
  ['loginwiki', 'login.wikimedia.org', null, 'login'],
  ['votewiki', 'vote.wikimedia.org', null, 'vote'],
  ['wikimaniawiki', 'wikimania.wikimedia.org', null, 'wikimania'],
  ['labswiki', 'wikitech.wikimedia.org', null, 'wikitech'],
  ['mediawikiwiki', 'www.mediawiki.org', null, 'mediawiki'],
  ['wikifunctionswiki', 'www.wikifunctions.org', null, 'wikifunctions'],
  ['testwiki', 'test.wikipedia.org', null, 'test'],
  ['testwikidatawiki', 'test.wikidata.org', null, 'wikidata'],
  ['sourceswiki', 'wikisource.org', null, 'wikisource'],
  ['betawikiversity', 'beta.wikiversity.org', null, 'wikiversity'],
  ['ruwikimedia', 'ru.wikimedia.org', null, 'wikimedia'],
];

describe('wikiSite', () => {
  it.each(SITES)('%s (%s) → %s / %s', (wiki, server, language, project) => {
    expect(wikiSite(wiki, server)).toEqual({ language, project });
  });

  it.each(SITES)(
    '%s logged through auth.wikimedia.org keeps its wiki',
    (wiki, _, language, project) => {
      expect(wikiSite(wiki, 'auth.wikimedia.org')).toEqual({ language, project });
    },
  );

  it.each(SITES)('%s is the same wiki without its host', (wiki, _, language, project) => {
    expect(wikiSite(wiki, undefined)).toEqual({ language, project });
  });

  it('reads wikis with a site of their own from the database name alone', () => {
    expect(wikiSite('strategywiki', undefined)).toEqual({ language: null, project: 'strategy' });
    expect(wikiSite('abstractwiki', undefined)).toEqual({ language: null, project: 'abstract' });
    expect(wikiSite('test2wiki', undefined)).toEqual({ language: null, project: 'test' });
    expect(wikiSite('testcommonswiki', undefined)).toEqual({ language: null, project: 'commons' });
    expect(wikiSite('labtestwiki', undefined)).toEqual({ language: null, project: 'wikitech' });
    expect(wikiSite('wikimania2018wiki', undefined)).toEqual({
      language: null,
      project: 'wikimania',
    });
    expect(wikiSite('etwikimedia', 'ee.wikimedia.org')).toEqual({
      language: null,
      project: 'wikimedia',
    });
  });

  it('reads the host only when the database name is missing or not a Wikimedia one', () => {
    expect(wikiSite(undefined, 'en.wikipedia.org')).toEqual({
      language: 'en',
      project: 'wikipedia',
    });
    expect(wikiSite('', 'zh-classical.wikipedia.org')).toEqual({
      language: 'zh-classical',
      project: 'wikipedia',
    });
    expect(wikiSite('somedb', 'www.wikidata.org')).toEqual({
      language: null,
      project: 'wikidata',
    });
    expect(wikiSite(undefined, 'auth.wikimedia.org')).toEqual({
      language: null,
      project: 'wikimedia',
    });
    expect(wikiSite(undefined, 'example.org')).toEqual({ language: null, project: 'unknown' });
    expect(wikiSite(undefined, undefined)).toEqual({ language: null, project: 'unknown' });
  });

  it('ignores case', () => {
    expect(wikiSite('EnWiki', 'EN.WIKIPEDIA.ORG')).toEqual({
      language: 'en',
      project: 'wikipedia',
    });
  });
});

describe('languageOf', () => {
  it('reads an event', () => {
    expect(languageOf({ wiki: 'idwiki', server_name: 'id.wikipedia.org' })).toBe('id');
  });

  it('counts an account created on the shared login domain in its wiki’s language', () => {
    expect(languageOf({ wiki: 'enwiki', server_name: 'auth.wikimedia.org' })).toBe('en');
    expect(languageOf({ wiki: 'dewiktionary', server_name: 'auth.wikimedia.org' })).toBe('de');
    expect(languageOf({ wiki: 'commonswiki', server_name: 'auth.wikimedia.org' })).toBeNull();
  });
});
