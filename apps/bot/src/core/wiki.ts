/** Links and names for wiki pages, from what the store keeps (server_url, wiki, title). */

/** `https://de.wikipedia.org` + `Köln Hbf` → `https://de.wikipedia.org/wiki/K%C3%B6ln_Hbf`. */
export function pageUrl(serverUrl: string, title: string): string {
  const path = encodeURIComponent(wellFormed(title).replace(/ /g, '_'))
    .replace(/%3A/gi, ':')
    .replace(/%2F/gi, '/');
  return `${serverUrl}/wiki/${path}`;
}

/** The Wikipedia database name of a language (`de` → `dewiki`, `zh-yue` → `zh_yuewiki`). */
export function wikipediaOf(language: string): string {
  if (language === 'be-tarask') return 'be_x_oldwiki';
  return `${language.replace(/-/g, '_')}wiki`;
}

/** The site of a wiki database name, for links to watched pages. */
export function serverUrlOf(wiki: string): string {
  if (wiki === 'commonswiki') return 'https://commons.wikimedia.org';
  if (wiki === 'wikidatawiki') return 'https://www.wikidata.org';
  if (wiki === 'metawiki') return 'https://meta.wikimedia.org';
  if (wiki === 'be_x_oldwiki') return 'https://be-tarask.wikipedia.org';
  return `https://${wiki.replace(/wiki$/, '').replace(/_/g, '-')}.wikipedia.org`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Half of a surrogate pair is not text (and makes `encodeURIComponent` throw). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/** Characters MediaWiki never allows in a title. */
// eslint-disable-next-line no-control-regex
const ILLEGAL_TITLE = /[#<>[\]|{}\u0000-\u001f\u007f\ufffd]/;
const MAX_TITLE_BYTES = 255;

export type TitleResult = { ok: true; title: string } | { ok: false; reason: string };

/** MediaWiki's title normal form: underscores as spaces, single spaces, first letter upper case. */
export function normaliseTitle(raw: string): TitleResult {
  const title = wellFormed(raw)
    .replace(/[_\s]+/gu, ' ')
    .trim();
  if (title === '') return { ok: false, reason: 'the page title is empty' };
  if (ILLEGAL_TITLE.test(title)) {
    return { ok: false, reason: 'page titles cannot contain # < > [ ] | { }' };
  }
  if (Buffer.byteLength(title, 'utf8') > MAX_TITLE_BYTES) {
    return { ok: false, reason: 'page titles are at most 255 bytes long' };
  }
  const first = String.fromCodePoint(title.codePointAt(0)!);
  return { ok: true, title: first.toUpperCase() + title.slice(first.length) };
}
