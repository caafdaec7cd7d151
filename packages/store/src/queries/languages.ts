import { db, select, type Store } from './context.js';

export interface LanguageTotal {
  /** '' for multilingual wikis (Commons, Wikidata, …). */
  language: string;
  total: number;
}

/** The languages with the most distinct changes on one day, from the materialized counts. */
export async function languageTotals(
  store: Store,
  query: { day: string; limit: number },
): Promise<LanguageTotal[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(query.day)) throw new RangeError('day must be YYYY-MM-DD');
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
    throw new RangeError('limit must be 1..1000');
  }
  return select<LanguageTotal>(
    store,
    `SELECT language, uniqExactMerge(events) AS total
     FROM ${db(store)}.daily_counts
     WHERE day = {day:Date}
     GROUP BY language
     ORDER BY total DESC, language
     LIMIT {limit:UInt32}`,
    { day: query.day, limit: query.limit },
  );
}
