import type { FeedFilter } from '@wikipulse/events';
import type { ChangeRow } from '../rows.js';
import { filterCondition, type FilterCondition } from './change-filter.js';
import { db, select, type Store } from './context.js';

export interface RecentQuery {
  /** '' for multilingual wikis (Commons, Wikidata). */
  language: string;
  /** Restricts to one wiki (e.g. 'commonswiki'); all wikis of the language when absent. */
  wiki?: string;
  limit: number;
  offset: number;
}

/** A stored change as `!recent` and the API show it: its columns, read back. */
export type RecentChangeRow = Omit<
  ChangeRow,
  'event_time' | 'project' | 'revision_old' | 'revision_new' | 'extra'
> & {
  /** ISO-8601, UTC (reads use ISO; inserts write `YYYY-MM-DD hh:mm:ss.sss`). */
  event_time: string;
};

export const RECENT_MAX_LIMIT = 100;
export const RECENT_MAX_OFFSET = 10_000;

/** A filter's changes (`!feed`'s filters, read back from the web page's filtered view). */
export interface FilteredQuery {
  filter: FeedFilter;
  limit: number;
  offset: number;
}

/**
 * The newest changes of a language, newest first, each event once. The inner query reads only
 * the end of the language's range of the sorting key (language, event_time, event_id) and
 * stops after a few more rows than asked for; `LIMIT 1 BY event_id` then drops copies that the
 * ReplacingMergeTree has not merged yet. Only when copies leave too few rows is the window
 * widened, so the common case costs a handful of granules instead of a whole language (FINAL
 * or LIMIT BY over the full range cost 3-5 times more, measured on the embedded engine).
 */
export function recentChanges(store: Store, query: RecentQuery): Promise<RecentChangeRow[]> {
  return newest(
    store,
    {
      where: `language = {language:String} AND ({wiki:String} = '' OR wiki = {wiki:String})`,
      params: { language: query.language, wiki: query.wiki ?? '' },
    },
    query,
  );
}

/**
 * The newest changes that pass a change filter, newest first, each event once: the same
 * changes a feed with that filter delivers (see change-filter.ts), read the way
 * `recentChanges` reads, so a filter with a language reads only that language's range.
 */
export async function filteredChanges(
  store: Store,
  query: FilteredQuery,
): Promise<RecentChangeRow[]> {
  return await newest(store, filterCondition(query.filter), query);
}

async function newest(
  store: Store,
  condition: FilterCondition,
  { limit, offset }: { limit: number; offset: number },
): Promise<RecentChangeRow[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > RECENT_MAX_LIMIT) {
    throw new RangeError(`limit must be 1..${RECENT_MAX_LIMIT}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > RECENT_MAX_OFFSET) {
    throw new RangeError(`offset must be 0..${RECENT_MAX_OFFSET}`);
  }
  const wanted = limit + offset;
  for (let window = wanted * 2 + 20; ; window *= 4) {
    const rows = await select<RecentChangeRow & { copies_read: number }>(
      store,
      `SELECT *, count() OVER () AS copies_read FROM (
         SELECT toString(event_id) AS event_id, event_time, wiki, language, type, namespace, title,
                user, bot, minor, length_old, length_new, comment, server_url, log_type, log_action
         FROM ${db(store)}.changes
         WHERE ${condition.where}
         ORDER BY event_time DESC, event_id DESC
         LIMIT {window:UInt32}
       )
       ORDER BY event_time DESC, event_id DESC
       LIMIT 1 BY event_id
       LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...condition.params, window, limit, offset },
    );
    const exhausted = rows.length === 0 || (rows[0]?.copies_read ?? 0) < window;
    if (rows.length === limit || exhausted || window > 1_000_000) {
      for (const row of rows) delete (row as Partial<typeof row>).copies_read;
      return rows;
    }
  }
}
