import { SCOPE_FILTER, db, scopeParams, select, type Scope, type Store } from './context.js';

export interface DailyStatsQuery extends Scope {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
}

export interface DailyStats {
  day: string;
  /** null: every wiki. */
  language: string | null;
  total: number;
  byType: Record<string, number>;
  bots: number;
  humans: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One day's exact number of distinct changes for a language (or every wiki), from the materialized
 * `daily_counts` (never from the raw rows). Each event has exactly one type and one bot flag,
 * so the groups partition the day and their counts add up to the total.
 */
export async function dailyStats(store: Store, query: DailyStatsQuery): Promise<DailyStats> {
  if (!DAY.test(query.day)) throw new RangeError('day must be YYYY-MM-DD');
  const rows = await select<{ type: string; bot: boolean; n: number }>(
    store,
    `SELECT type, bot, uniqExactMerge(events) AS n
     FROM ${db(store)}.daily_counts
     WHERE day = {day:Date} AND ${SCOPE_FILTER}
     GROUP BY type, bot`,
    { day: query.day, ...scopeParams(query) },
  );
  const stats: DailyStats = {
    day: query.day,
    language: query.language,
    total: 0,
    byType: {},
    bots: 0,
    humans: 0,
  };
  for (const row of rows) {
    stats.total += row.n;
    stats.byType[row.type] = (stats.byType[row.type] ?? 0) + row.n;
    if (row.bot) stats.bots += row.n;
    else stats.humans += row.n;
  }
  return stats;
}
