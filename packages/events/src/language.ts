/**
 * Which language and which project a wiki belongs to. `enwiki` → en/wikipedia,
 * `arwiktionary` → ar/wiktionary, `zh_min_nanwiki` (zh-min-nan.wikipedia.org) → zh-min-nan;
 * multilingual wikis (Commons, Wikidata, Meta, …) have no language.
 *
 * The database name (`wiki`) decides. The host (`server_name`) is not the wiki's own: pages on
 * the shared login domain are served for every wiki (`auth.wikimedia.org/enwiki/…`), so an
 * account created there says `server_name: auth.wikimedia.org` and `wiki: enwiki`. The host is
 * read only when the database name is missing or not a Wikimedia one.
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

/**
 * Database-name suffix → project. `wiki` is Wikipedia's, and also that of the wikis with a
 * site of their own (`commonswiki`, `metawiki`); `wikimedia` is the chapters' (`ruwikimedia`).
 * No suffix ends another, so their order does not matter.
 */
const DB_SUFFIXES: readonly (readonly [string, string])[] = [
  ['wiktionary', 'wiktionary'],
  ['wikiversity', 'wikiversity'],
  ['wikivoyage', 'wikivoyage'],
  ['wikimedia', 'wikimedia'],
  ['wikisource', 'wikisource'],
  ['wikiquote', 'wikiquote'],
  ['wikibooks', 'wikibooks'],
  ['wikinews', 'wikinews'],
  ['wiki', 'wikipedia'],
];

/**
 * `<name>wiki` wikis that are not a language edition and whose project is not `<name>`
 * (`commonswiki` is simply commons, `strategywiki` strategy).
 */
const SITE_ALIASES: Readonly<Record<string, string>> = {
  sourceswiki: 'wikisource',
  testwiki: 'test',
  test2wiki: 'test',
  testwikidatawiki: 'wikidata',
  testcommonswiki: 'commons',
  labswiki: 'wikitech',
  labtestwiki: 'wikitech',
};

/** Database prefixes kept from before a domain was renamed (be-x-old became be-tarask). */
const RENAMED_PREFIXES: Readonly<Record<string, string>> = {
  be_x_old: 'be-tarask',
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

/**
 * A language as it appears in host names: a two- or three-letter code, then optional subtags
 * (`zh-min-nan`, `roa-tara`, `zh-classical`, `be-tarask`). Non-language prefixes of Wikimedia
 * database names (`test`, `beta`, `strategy`, `wikidata`) do not match.
 */
const LANGUAGE_CODE = /^[a-z]{2,3}(?:-[a-z]{2,9})*$/;

const UNKNOWN: WikiSite = { language: null, project: 'unknown' };

export function wikiSite(wiki: string | undefined, serverName: string | undefined): WikiSite {
  const fromWiki = wiki ? siteFromDbName(wiki.toLowerCase()) : undefined;
  if (fromWiki) return fromWiki;
  return (serverName ? siteFromHost(serverName.toLowerCase()) : undefined) ?? UNKNOWN;
}

function siteFromDbName(wiki: string): WikiSite | undefined {
  const alias = SITE_ALIASES[wiki];
  if (alias) return { language: null, project: alias };
  // wikimaniawiki, and one per year before it: wikimania2005wiki … wikimania2018wiki
  if (/^wikimania\d*wiki$/.test(wiki)) return { language: null, project: 'wikimania' };
  for (const [suffix, project] of DB_SUFFIXES) {
    if (!wiki.endsWith(suffix) || wiki.length === suffix.length) continue;
    const prefix = wiki.slice(0, -suffix.length);
    if (project === 'wikimedia') return { language: null, project };
    const code = RENAMED_PREFIXES[prefix] ?? prefix.replace(/_/g, '-');
    if (LANGUAGE_CODE.test(code) || code === 'simple') return { language: code, project };
    // commonswiki, metawiki, wikidatawiki, mediawikiwiki, …; betawikiversity (multilingual Wikiversity)
    return { language: null, project: suffix === 'wiki' ? prefix : project };
  }
  return undefined;
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
  // commons.wikimedia.org, meta.wikimedia.org, …; chapter wikis (ru.wikimedia.org) and shared
  // domains (auth.wikimedia.org) are 'wikimedia'.
  if (second === 'wikimedia') {
    return { language: null, project: WIKIMEDIA_SITES.has(first) ? first : 'wikimedia' };
  }
  return undefined;
}

/** The language of an event's wiki, or null for multilingual wikis. */
export function languageOf(event: { wiki?: string; server_name?: string }): string | null {
  return wikiSite(event.wiki, event.server_name).language;
}
