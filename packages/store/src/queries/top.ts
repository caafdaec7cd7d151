import {
  SCOPE_FILTER,
  chTime,
  db,
  scopeParams,
  select,
  type Scope,
  type Store,
} from './context.js';

export interface TopPagesQuery extends Scope {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  limit: number;
}

export interface TopPageRow {
  wiki: string;
  title: string;
  server_url: string;
  edits: number;
  editors: number;
}

export const TOP_MAX_LIMIT = 25;

/** The most-changed pages of a language (or every wiki) on one day (edits and page creations). */
export async function topPages(store: Store, query: TopPagesQuery): Promise<TopPageRow[]> {
  const start = new Date(`${query.day}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime())) throw new RangeError('day must be YYYY-MM-DD');
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > TOP_MAX_LIMIT) {
    throw new RangeError(`limit must be 1..${TOP_MAX_LIMIT}`);
  }
  const end = new Date(start.getTime() + 86_400_000);
  return select<TopPageRow>(
    store,
    `SELECT wiki, title, any(server_url) AS server_url, count() AS edits, uniqExact(user) AS editors
     FROM (
       SELECT event_id, wiki, title, server_url, user
       FROM ${db(store)}.changes
       WHERE ${SCOPE_FILTER}
         AND event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
         AND type IN ('edit', 'new')
       LIMIT 1 BY event_id
     )
     GROUP BY wiki, title
     ORDER BY edits DESC, wiki, title
     LIMIT {limit:UInt32}`,
    {
      ...scopeParams(query),
      from: chTime(start),
      to: chTime(end),
      limit: query.limit,
    },
  );
}
