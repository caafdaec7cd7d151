import { languageOf, type RecentChange } from '@wikipulse/events';

export interface FilterOptions {
  /** Database names (`enwiki`) or host names (`en.wikipedia.org`); all wikis when empty. */
  wikis: readonly string[];
  /** Language codes (`en`, `zh-min-nan`); all languages (and language-less wikis) when empty. */
  langs: readonly string[];
}

export type EventFilter = (event: RecentChange) => boolean;

/** A predicate that keeps the events a pipeline asked for. */
export function createFilter({ wikis, langs }: FilterOptions): EventFilter {
  const wikiSet = new Set(wikis.map((w) => w.toLowerCase()));
  const langSet = new Set(langs.map((l) => l.toLowerCase()));
  if (wikiSet.size === 0 && langSet.size === 0) return () => true;
  return (event) => {
    if (wikiSet.size > 0) {
      const db = event.wiki?.toLowerCase();
      const host = (event.server_name ?? event.meta.domain)?.toLowerCase();
      if (!(db !== undefined && wikiSet.has(db)) && !(host !== undefined && wikiSet.has(host))) {
        return false;
      }
    }
    if (langSet.size > 0) {
      const language = languageOf(event);
      if (language === null || !langSet.has(language)) return false;
    }
    return true;
  };
}
