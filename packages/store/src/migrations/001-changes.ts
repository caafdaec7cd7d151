import type { Migration } from './types.js';

export const changes: Migration = {
  version: 1,
  name: 'changes and daily counts',
  statements: ({ database: db, retentionDays }) => [
    /*
     * Raw events. ReplacingMergeTree collapses rows with equal sorting key, so every key column
     * is a function of the event alone: redelivered or resent copies of an event share the key.
     * (language, event_time) first: "latest N changes for language L" reads the last granules
     * of one language's range; the bloom filter skips granules for "changes of page P".
     */
    `CREATE TABLE IF NOT EXISTS ${db}.changes (
        event_id UUID,
        event_time DateTime64(3, 'UTC'),
        wiki LowCardinality(String),
        language LowCardinality(String),
        project LowCardinality(String),
        type LowCardinality(String),
        namespace Int32,
        title String,
        user String,
        bot Bool,
        minor Bool,
        length_old Nullable(Int64),
        length_new Nullable(Int64),
        revision_old Nullable(UInt64),
        revision_new Nullable(UInt64),
        comment String CODEC(ZSTD(1)),
        server_url LowCardinality(String),
        log_type LowCardinality(String),
        log_action LowCardinality(String),
        extra String CODEC(ZSTD(1)),
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
        INDEX idx_title title TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(event_time)
      ORDER BY (language, event_time, event_id)
      TTL toDateTime(event_time) + toIntervalDay(${retentionDays})
      SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000`,
    /*
     * Per-day counts that stay exact under any duplication: each row holds the *set* of event
     * ids (uniqExact state), and merging sets is a union, so an event inserted twice (a
     * redelivered batch, a crash between insert and commit, the source sending it again) is
     * still counted once. Counts for a language are the union over its wikis, types and bot
     * flags; an event has exactly one of each, so the parts add up.
     */
    `CREATE TABLE IF NOT EXISTS ${db}.daily_counts (
        day Date,
        language LowCardinality(String),
        wiki LowCardinality(String),
        type LowCardinality(String),
        bot Bool,
        events AggregateFunction(uniqExact, UUID)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(day)
      ORDER BY (day, language, wiki, type, bot)
      TTL day + toIntervalDay(${retentionDays})`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.daily_counts_mv TO ${db}.daily_counts AS
      SELECT
        toDate(event_time) AS day,
        language,
        wiki,
        type,
        bot,
        uniqExactState(event_id) AS events
      FROM ${db}.changes
      GROUP BY day, language, wiki, type, bot`,
  ],
};
