import type { Migration } from './types.js';

export const feeds: Migration = {
  version: 6,
  name: 'channel feeds',
  statements: ({ database: db }) => [
    /*
     * Live feeds of Discord channels. One row per state change of a feed (added, paused,
     * resumed, removed, paused because the channel answered 403/404): the table stays
     * append-only and the newest row of a feed wins, as in `watches`. `filter` is the feed's
     * filter as JSON, validated by the bot before it is written. The bot's workers keep every
     * active feed in memory, which is why feeds per channel and per server are bounded.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.feeds (
        channel_id String,
        feed_id String,
        guild_id String,
        created_by String,
        kind LowCardinality(String),
        filter String,
        state LowCardinality(String),
        reason String,
        created_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (channel_id, feed_id)`,
  ],
};
