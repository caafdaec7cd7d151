import { chTime, db, select, type Store } from './context.js';

export interface MinuteCount {
  /** The minute's start, `YYYY-MM-DD hh:mm:ss` UTC. */
  minute: string;
  /** '' for the multilingual wikis. */
  language: string;
  changes: number;
}

/**
 * Distinct changes per minute and language over the `minutes` before `now`, for the busiest
 * `languages` of that span (the rest would be lines too thin to read).
 */
export async function changesPerMinute(
  store: Store,
  query: { now: Date; minutes: number; languages: number },
): Promise<MinuteCount[]> {
  if (!Number.isInteger(query.minutes) || query.minutes < 1 || query.minutes > 360) {
    throw new RangeError('minutes must be 1..360');
  }
  if (!Number.isInteger(query.languages) || query.languages < 1 || query.languages > 20) {
    throw new RangeError('languages must be 1..20');
  }
  const to = Math.floor(query.now.getTime() / 60_000) * 60_000 + 60_000;
  return select<MinuteCount>(
    store,
    `WITH recent AS (
       SELECT toStartOfMinute(event_time) AS minute, language, event_id
       FROM ${db(store)}.changes
       WHERE event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
     )
     SELECT toString(minute) AS minute, language, uniqExact(event_id) AS changes
     FROM recent
     WHERE language IN (
       SELECT language FROM recent GROUP BY language
       ORDER BY uniqExact(event_id) DESC, language LIMIT {languages:UInt32}
     )
     GROUP BY minute, language
     ORDER BY minute, language`,
    {
      from: chTime(new Date(to - query.minutes * 60_000)),
      to: chTime(new Date(to)),
      languages: query.languages,
    },
  );
}
