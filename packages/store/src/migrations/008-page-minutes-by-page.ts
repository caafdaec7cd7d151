import { PAGE_MINUTES_TTL_HOURS, pageMinutesRollup, pageMinutesTable } from './005-page-minutes.js';
import type { Migration } from './types.js';

/**
 * The per-minute page rollup again, ordered by page: `!trending` finds the pages edited in the
 * last minutes in `page_minutes` (ordered by language and minute), then reads the hours before
 * of just those pages here, through the primary key, instead of every page of a large language
 * (Wikidata's and Commons' hours hold millions of rows). Filled on insert into `changes` by a
 * materialized view that rolls up as `page_minutes`' does; the rows of the last two days already
 * in `page_minutes` are copied when the table is made. Copies of a row add nothing: each holds
 * the sets of event ids and editors.
 */
export const pageMinutesByPage: Migration = {
  version: 8,
  name: 'per-minute page rollup ordered by page',
  statements: ({ database: db }) => [
    pageMinutesTable(db, 'page_minutes_by_page', 'language, wiki, title, minute'),
    // From `changes`, as `page_minutes_mv` (a view runs as the inserting user, and the sink may
    // read `changes` only).
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.page_minutes_by_page_mv
        TO ${db}.page_minutes_by_page AS
        ${pageMinutesRollup(db)}`,
    `INSERT INTO ${db}.page_minutes_by_page (minute, language, wiki, title, edits, editors)
        SELECT minute, language, wiki, title, edits, editors FROM ${db}.page_minutes
        WHERE minute >= now() - toIntervalHour(${PAGE_MINUTES_TTL_HOURS})`,
  ],
};
