import type { Migration } from './types.js';

export const languagePreferences: Migration = {
  version: 2,
  name: 'language preferences',
  statements: ({ database: db }) => [
    /* The bot's per-user and per-guild default language; the newest setting wins. */
    `CREATE TABLE IF NOT EXISTS ${db}.language_preferences (
        scope Enum8('user' = 1, 'guild' = 2),
        subject_id String,
        language LowCardinality(String),
        updated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (scope, subject_id)`,
  ],
};
