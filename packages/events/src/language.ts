/**
 * Which language and which project a wiki belongs to. `enwiki` → en/wikipedia,
 * `arwiktionary` → ar/wiktionary, `zh_min_nanwiki` (zh-min-nan.wikipedia.org) → zh-min-nan;
 * multilingual wikis (Commons, Wikidata, Meta, …) have no language.
 */

const LANGUAGE_PROJECTS = new Set([
  'wikipedia',
  'wiktionary',
  'wikiquote',
  'wikibooks',
  'wikisource',
  'wikinews',
  'wikiversity',
  'wikivoyage',
]);

/** Database-name suffix → project, longest first so `wikiquote` wins over `wiki`. */
const DB_SUFFIXES: readonly (readonly [string, string])[] = [
  ['wiktionary', 'wiktionary'],
  ['wikiquote', 'wikiquote'],
  ['wikibooks', 'wikibooks'],
  ['wikisource', 'wikisource'],
  ['wikinews', 'wikinews'],
  ['wikiversity', 'wikiversity'],
  ['wikivoyage', 'wikivoyage'],
  ['wiki', 'wikipedia'],
];

/** Wikis whose database name looks like `<lang>wiki` but that are not a language edition. */
const SPECIAL_WIKIS: Readonly<Record<string, string>> = {
  commonswiki: 'commons',
  wikidatawiki: 'wikidata',
  testwikidatawiki: 'wikidata',
  metawiki: 'meta',
  specieswiki: 'species',
  mediawikiwiki: 'mediawiki',
  incubatorwiki: 'incubator',
  sourceswiki: 'wikisource',
  foundationwiki: 'foundation',
  outreachwiki: 'outreach',
  wikimaniawiki: 'wikimania',
  wikifunctionswiki: 'wikifunctions',
  testwiki: 'test',
  test2wiki: 'test',
  testcommonswiki: 'commons',
  loginwiki: 'login',
  votewiki: 'vote',
  labswiki: 'wikitech',
  labtestwiki: 'wikitech',
};

const WIKIMEDIA_SITES = new Set([
  'commons',
  'meta',
  'species',
  'incubator',
  'outreach',
  'foundation',
  'wikimania',
  'login',
  'vote',
  'wikitech',
]);

export interface WikiSite {
  /** Lower-case language code (BCP-47-like, as in the host name), or null for multilingual wikis. */
  language: string | null;
  /** wikipedia, wiktionary, …, commons, wikidata, meta, … */
  project: string;
}

const LANGUAGE_CODE = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/;

export function wikiSite(wiki: string | undefined, serverName: string | undefined): WikiSite {
  const fromHost = serverName ? siteFromHost(serverName.toLowerCase()) : undefined;
  if (fromHost) return fromHost;
  if (wiki) return siteFromDbName(wiki.toLowerCase());
  return { language: null, project: 'unknown' };
}

function siteFromHost(host: string): WikiSite | undefined {
  const labels = host.split('.');
  if (labels.length < 3) return undefined;
  const [first, second] = labels as [string, string, ...string[]];
  if (LANGUAGE_PROJECTS.has(second) && labels.length === 3) {
    if (LANGUAGE_CODE.test(first) || first === 'simple')
      return { language: first, project: second };
    // test.wikipedia.org, www.wikisource.org (multilingual Wikisource)
    return { language: null, project: first === 'test' ? 'test' : second };
  }
  if (second === 'wikidata') return { language: null, project: 'wikidata' };
  if (second === 'mediawiki' || second === 'wikifunctions')
    return { language: null, project: second };
  // commons.wikimedia.org, meta.wikimedia.org, …; chapter wikis (ru.wikimedia.org) are 'wikimedia'.
  if (second === 'wikimedia') {
    return { language: null, project: WIKIMEDIA_SITES.has(first) ? first : 'wikimedia' };
  }
  return undefined;
}

function siteFromDbName(wiki: string): WikiSite {
  const special = SPECIAL_WIKIS[wiki];
  if (special) return { language: null, project: special };
  for (const [suffix, project] of DB_SUFFIXES) {
    if (wiki.endsWith(suffix) && wiki.length > suffix.length) {
      const code = wiki.slice(0, -suffix.length).replace(/_/g, '-');
      if (LANGUAGE_CODE.test(code) || code === 'simple') return { language: code, project };
      return { language: null, project };
    }
  }
  return { language: null, project: 'unknown' };
}

/** The language of an event's wiki, or null for multilingual wikis. */
export function languageOf(event: { wiki?: string; server_name?: string }): string | null {
  return wikiSite(event.wiki, event.server_name).language;
}
