import type { Migration } from './types.js';

/** How long the per-minute page rollup keeps its rows: the trending baseline's reach, and more. */
export const PAGE_MINUTES_TTL_HOURS = 48;

/**
 * A per-minute page rollup table: `page_minutes` (ordered by language and minute) and
 * `page_minutes_by_page` (ordered by page, migration 8) differ only in their order.
 */
export function pageMinutesTable(db: string, table: string, orderBy: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${table} (
          minute DateTime('UTC'),
          language LowCardinality(String),
          wiki LowCardinality(String),
          title String,
          edits AggregateFunction(uniqExact, UUID),
          editors AggregateFunction(uniqExact, String)
        )
        ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMMDD(minute)
        ORDER BY (${orderBy})
        TTL minute + toIntervalHour(${PAGE_MINUTES_TTL_HOURS})`;
}

/** The rollup of edits and page creations from `changes`, with `extraWhere` ANDed to its filter. */
export function pageMinutesRollup(db: string, extraWhere = ''): string {
  return `SELECT
        toStartOfMinute(event_time) AS minute,
        language,
        wiki,
        title,
        uniqExactState(event_id) AS edits,
        uniqExactState(user) AS editors
      FROM ${db}.changes
      WHERE type IN ('edit', 'new') ${extraWhere}
      GROUP BY minute, language, wiki, title`;
}

/**
 * Edits per page and minute, for `!trending`: a burst shows against the page's own recent
 * minutes without reading the raw table. Like `daily_counts`, each row holds the *sets* of
 * event ids and of editors (uniqExact states), so a duplicate or redelivered event is still
 * counted once. Edits and page creations only, as `!top` counts them. The rows of the last two
 * days already stored are rolled up when the table is made; rolling them up again (an
 * interrupted migration run twice) adds nothing, as sets absorb their copies.
 */
export const pageMinutes: Migration = {
  version: 5,
  name: 'per-minute page rollup for trending',
  statements: ({ database: db }) => [
    pageMinutesTable(db, 'page_minutes', 'language, minute, wiki, title'),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.page_minutes_mv TO ${db}.page_minutes AS
        ${pageMinutesRollup(db)}`,
    `INSERT INTO ${db}.page_minutes (minute, language, wiki, title, edits, editors)
        ${pageMinutesRollup(db, `AND event_time >= now() - toIntervalHour(${PAGE_MINUTES_TTL_HOURS})`)}`,
  ],
};
