import type { Migration } from './types.js';

export const digests: Migration = {
  version: 7,
  name: 'daily digests and paused channels',
  statements: ({ database: db }) => [
    /*
     * A channel's daily digest: one per channel, posted at `minute_of_day` (UTC) for `scope`
     * (`all`, a language code or a multilingual wiki's alias, as the user typed it). Turning it
     * off writes a newer row with active = false; the newest row wins.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.digests (
        channel_id String,
        guild_id String,
        scope LowCardinality(String),
        minute_of_day UInt16,
        created_by String,
        active Bool,
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY channel_id`,
    /*
     * What happened to each digest on each day: `claimed` by a worker about to post it, then
     * `posted`. Workers read it before posting, so a digest already posted is not posted again
     * after a restart; two workers racing on the same claim both send the same Discord nonce,
     * which Discord deduplicates. Kept 60 days: older days are never posted again.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.digest_posts (
        channel_id String,
        day Date,
        state Enum8('claimed' = 1, 'posted' = 2),
        worker String,
        at DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (channel_id, day, at)
      TTL day + toIntervalDay(60)`,
    /*
     * Channels Discord refused to post in (403: no access; 404: gone). Watches and digests of a
     * paused channel are not sent until someone sets one up there again, which resumes it.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.paused_channels (
        channel_id String,
        paused Bool,
        status UInt16,
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY channel_id`,
  ],
};
