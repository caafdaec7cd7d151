import { chTime, db, select, type Store } from './context.js';

export interface TrendingQuery {
  language: string;
  wiki?: string;
  /** The end of the recent window. */
  now: Date;
  /** The recent window, minutes (15 by default). */
  windowMinutes?: number;
  /** How far back the baseline reaches before the window, minutes (6 hours by default). */
  baselineMinutes?: number;
  limit: number;
}

export interface TrendingRow {
  wiki: string;
  title: string;
  /** Edits and page creations in the recent window. */
  edits: number;
  /** Distinct editors in the recent window. */
  editors: number;
  /**
   * Edits in the baseline before the window, as inserted: a rate's input, not a number shown
   * (a copy of an event inserted again counts again).
   */
  baselineEdits: number;
  /**
   * How many times its usual rate the page is edited now, divided by how many times its usual
   * rate the rest of its language is edited now (when that is above 1): a page that only
   * follows a busy hour of its language does not trend.
   */
  surge: number;
}

export const TRENDING_MAX_LIMIT = 25;
/** A page trends with at least this many edits in the window... */
export const TRENDING_MIN_EDITS = 3;
/** ...by at least this many people, so one editor's run of saves is not a trend. */
export const TRENDING_MIN_EDITORS = 2;

/**
 * The pages of a language with an unusual burst of edits: the last `windowMinutes` against the
 * page's own rate over the `baselineMinutes` before, and against the language's rate. Reads
 * the per-minute rollups (`page_minutes`, `page_minutes_by_page`): first the few pages edited
 * in the window, then the baseline of those pages only, so the cost follows the window and the
 * baseline, not the table.
 */
export async function trendingPages(store: Store, query: TrendingQuery): Promise<TrendingRow[]> {
  const windowMinutes = query.windowMinutes ?? 15;
  const baselineMinutes = query.baselineMinutes ?? 360;
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > TRENDING_MAX_LIMIT) {
    throw new RangeError(`limit must be 1..${TRENDING_MAX_LIMIT}`);
  }
  if (!(windowMinutes >= 1 && baselineMinutes > windowMinutes && baselineMinutes <= 2880)) {
    throw new RangeError('the baseline must be longer than the window, and at most 48 hours');
  }
  const to = Math.floor(query.now.getTime() / 60_000) * 60_000 + 60_000;
  const recentFrom = to - windowMinutes * 60_000;
  const baselineFrom = recentFrom - (baselineMinutes - windowMinutes) * 60_000;
  const params = {
    language: query.language,
    wiki: query.wiki ?? '',
    to: chTime(new Date(to)),
    recentFrom: chTime(new Date(recentFrom)),
    baselineFrom: chTime(new Date(baselineFrom)),
    minEdits: TRENDING_MIN_EDITS,
    minEditors: TRENDING_MIN_EDITORS,
  };
  const d = db(store);
  const scope = `language = {language:String} AND ({wiki:String} = '' OR wiki = {wiki:String})`;
  // The window's pass over `page_minutes` (ordered by language and minute) keeps the pages
  // with enough edits by enough people, reading edit counts and editor sets but no event ids;
  // the rollup ordered by page then reads just those pages through its primary key: their
  // window's sets (the edits and editors shown, exact under copies) and their baseline's counts.
  // The language's pace is the sum of the same counts over the baseline and the window.
  const [pages, languageRates] = await Promise.all([
    // The counts' names differ from the columns': an alias would shadow the column it reads.
    select<{
      wiki: string;
      title: string;
      recent: number;
      recent_editors: number;
      baseline: number;
    }>(
      store,
      `SELECT wiki, title,
              uniqExactMergeIf(edits, minute >= {recentFrom:DateTime64(3)}) AS recent,
              uniqExactMergeIf(editors, minute >= {recentFrom:DateTime64(3)}) AS recent_editors,
              sumIf(edit_count, minute < {recentFrom:DateTime64(3)}) AS baseline
         FROM ${d}.page_minutes_by_page
         WHERE ${scope}
           AND minute >= {baselineFrom:DateTime64(3)} AND minute < {to:DateTime64(3)}
           AND (wiki, title) IN (
             SELECT wiki, title
             FROM ${d}.page_minutes
             WHERE ${scope}
               AND minute >= {recentFrom:DateTime64(3)} AND minute < {to:DateTime64(3)}
             GROUP BY wiki, title
             HAVING sum(edit_count) >= {minEdits:UInt32}
                AND uniqExactMerge(editors) >= {minEditors:UInt32}
           )
         GROUP BY wiki, title`,
      params,
    ),
    select<{ recent: number; before: number }>(
      store,
      `SELECT sumIf(edit_count, minute >= {recentFrom:DateTime64(3)}) AS recent,
              sumIf(edit_count, minute < {recentFrom:DateTime64(3)}) AS before
         FROM ${d}.page_minutes
         WHERE ${scope}
           AND minute >= {baselineFrom:DateTime64(3)} AND minute < {to:DateTime64(3)}`,
      params,
    ),
  ]);
  const baselineOnly = baselineMinutes - windowMinutes;
  const rate = (count: number, minutes: number) => count / minutes;
  const language = languageRates[0] ?? { recent: 0, before: 0 };
  const languageRecent = language.recent;
  const languageBefore = language.before;
  return (
    pages
      // A count counts a copy inserted twice; the set does not.
      .filter((page) => page.recent >= TRENDING_MIN_EDITS)
      .map((page) => {
        const edits = page.recent;
        const baselineEdits = page.baseline;
        // One edit added to the baseline: a page never edited before is a burst, not a division
        // by zero.
        const usual = rate(baselineEdits + 1, baselineOnly);
        // The rest of the language, without the page itself: a busy hour lifts every page, and a
        // burst alone in a quiet language still shows.
        const othersNow = rate(Math.max(0, languageRecent - edits), windowMinutes);
        const othersUsual = rate(Math.max(1, languageBefore - baselineEdits), baselineOnly);
        const languageSurge = Math.max(1, othersNow / othersUsual);
        const surge = rate(edits, windowMinutes) / usual / languageSurge;
        return {
          wiki: page.wiki,
          title: page.title,
          edits,
          editors: page.recent_editors,
          baselineEdits,
          surge,
        };
      })
      .filter((page) => page.surge > 1)
      .sort((a, b) => b.surge - a.surge || b.edits - a.edits || a.title.localeCompare(b.title))
      .slice(0, query.limit)
  );
}
