import { db, select, type Store } from './context.js';

export interface RecentQuery {
  /** '' for multilingual wikis (Commons, Wikidata). */
  language: string;
  /** Restricts to one wiki (e.g. 'commonswiki'); all wikis of the language when absent. */
  wiki?: string;
  limit: number;
  offset: number;
}

export interface RecentChangeRow {
  event_id: string;
  /** ISO-8601, UTC. */
  event_time: string;
  wiki: string;
  language: string;
  type: string;
  namespace: number;
  title: string;
  user: string;
  bot: boolean;
  minor: boolean;
  length_old: number | null;
  length_new: number | null;
  comment: string;
  server_url: string;
  log_type: string;
  log_action: string;
}

export const RECENT_MAX_LIMIT = 100;
export const RECENT_MAX_OFFSET = 10_000;

/**
 * The newest changes of a language, newest first. Reads the end of the language's range of the
 * sorting key (language, event_time, event_id); `LIMIT 1 BY event_id` drops copies of an event
 * that the ReplacingMergeTree has not merged yet, without the cost of FINAL.
 */
export async function recentChanges(store: Store, query: RecentQuery): Promise<RecentChangeRow[]> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > RECENT_MAX_LIMIT) {
    throw new RangeError(`limit must be 1..${RECENT_MAX_LIMIT}`);
  }
  if (!Number.isInteger(query.offset) || query.offset < 0 || query.offset > RECENT_MAX_OFFSET) {
    throw new RangeError(`offset must be 0..${RECENT_MAX_OFFSET}`);
  }
  return select<RecentChangeRow>(
    store,
    `SELECT toString(event_id) AS event_id, event_time, wiki, language, type, namespace, title,
            user, bot, minor, length_old, length_new, comment, server_url, log_type, log_action
     FROM ${db(store)}.changes
     WHERE language = {language:String} AND ({wiki:String} = '' OR wiki = {wiki:String})
     ORDER BY event_time DESC, event_id DESC
     LIMIT 1 BY event_id
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    {
      language: query.language,
      wiki: query.wiki ?? '',
      limit: query.limit,
      offset: query.offset,
    },
  );
}
