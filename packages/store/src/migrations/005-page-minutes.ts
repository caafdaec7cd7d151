import type { Migration } from './types.js';

/** How long the per-minute page rollup keeps its rows: the trending baseline's reach, and more. */
export const PAGE_MINUTES_TTL_HOURS = 48;

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
  statements: ({ database: db }) => {
    const select = `SELECT
        toStartOfMinute(event_time) AS minute,
        language,
        wiki,
        title,
        uniqExactState(event_id) AS edits,
        uniqExactState(user) AS editors
      FROM ${db}.changes`;
    const group = 'GROUP BY minute, language, wiki, title';
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.page_minutes (
          minute DateTime('UTC'),
          language LowCardinality(String),
          wiki LowCardinality(String),
          title String,
          edits AggregateFunction(uniqExact, UUID),
          editors AggregateFunction(uniqExact, String)
        )
        ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMMDD(minute)
        ORDER BY (language, minute, wiki, title)
        TTL minute + toIntervalHour(${PAGE_MINUTES_TTL_HOURS})`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.page_minutes_mv TO ${db}.page_minutes AS
        ${select}
        WHERE type IN ('edit', 'new')
        ${group}`,
      `INSERT INTO ${db}.page_minutes
        ${select}
        WHERE type IN ('edit', 'new')
          AND event_time >= now() - toIntervalHour(${PAGE_MINUTES_TTL_HOURS})
        ${group}`,
    ];
  },
};
