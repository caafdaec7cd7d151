import type { Migration } from './types.js';

const TABLES = ['page_minutes', 'page_minutes_by_page'] as const;

/**
 * A plain count of edits beside each per-minute page row's set of event ids: the number of ids
 * in the row's set when it was inserted, summed as rows merge. Reading a set costs as much as
 * the ids it holds, a count costs eight bytes, so `!trending` reads counts where a rate is all
 * it needs (which pages of the window to look at, a page's baseline, the language's pace) and
 * sets only for the numbers it shows (a page's edits and editors in the window). A copy of an
 * event inserted again counts again here: a rate barely moves, and the shown numbers come from
 * the sets.
 *
 * The column's default computes the count from the set, so the views that fill both tables
 * need no change, and the rows already stored get theirs when the column is materialized.
 */
export const pageMinutesEditCounts: Migration = {
  version: 9,
  name: 'edit counts beside the per-minute page rollups',
  statements: ({ database: db }) =>
    TABLES.flatMap((table) => [
      `ALTER TABLE ${db}.${table}
         ADD COLUMN IF NOT EXISTS edit_count SimpleAggregateFunction(sum, UInt64)
         DEFAULT finalizeAggregation(edits)`,
      `ALTER TABLE ${db}.${table} MATERIALIZE COLUMN edit_count SETTINGS mutations_sync = 2`,
    ]),
};
