import type { Migration } from './types.js';

export const watches: Migration = {
  version: 3,
  name: 'page watches',
  statements: ({ database: db }) => [
    /*
     * Pages a Discord channel watches. One row per (channel, wiki, title); unwatching writes a
     * newer row with active = false, so the table stays append-only and the newest state wins.
     * The watch notifier loads every active row into memory (a few bytes per watch), which is
     * why the number of watches per channel is bounded by the bot.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.watches (
        channel_id String,
        wiki LowCardinality(String),
        title String,
        guild_id String,
        created_by String,
        active Bool,
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (channel_id, wiki, title)`,
  ],
};
