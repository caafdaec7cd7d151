import type { Migration } from './types.js';

/** How long a spike alert is remembered: the quiet hour after it, and some. */
export const SPIKE_ALERTS_TTL_HOURS = 2;

/**
 * The spike alerts a feed has posted, so that whichever worker holds the feed next knows which
 * pages were alerted in the last hour: a feed that moves to another worker (scaling, a crash)
 * does not post the same page again. One row per feed, page and alert; the newest alert of a
 * page is what counts, and rows leave after two hours.
 */
export const spikeAlerts: Migration = {
  version: 10,
  name: 'spike alerts posted',
  statements: ({ database: db }) => [
    `CREATE TABLE IF NOT EXISTS ${db}.spike_alerts (
        feed_id String,
        wiki LowCardinality(String),
        title String,
        edits UInt32,
        alerted_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(alerted_at)
      ORDER BY (feed_id, wiki, title)
      TTL toDateTime(alerted_at) + toIntervalHour(${SPIKE_ALERTS_TTL_HOURS})`,
  ],
};
