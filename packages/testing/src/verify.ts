import type { ChangeRow, ClickHouseClient } from '@wikipulse/store';

/** Checks of what a drained topic should look like in storage, for the integration tests. */

export interface DayCount {
  day: string;
  language: string;
  events: number;
}

/** Per-day, per-language counts as the bot reads them: merged `uniqExact` states. */
export async function storedDailyCounts(
  client: ClickHouseClient,
  database: string,
): Promise<DayCount[]> {
  const result = await client.query({
    query: `SELECT toString(day) AS day, language, uniqExactMerge(events) AS events
            FROM ${database}.daily_counts GROUP BY day, language ORDER BY day, language`,
    format: 'JSONEachRow',
  });
  return result.json<DayCount>();
}

/** The same counts computed from the rows that were sent: distinct ids per day and language. */
export function expectedDailyCounts(rows: Iterable<ChangeRow>): DayCount[] {
  const ids = new Map<string, Set<string>>();
  for (const row of rows) {
    const key = `${row.event_time.slice(0, 10)}\u0000${row.language}`;
    let set = ids.get(key);
    if (!set) ids.set(key, (set = new Set()));
    set.add(row.event_id);
  }
  return [...ids]
    .map(([key, set]) => {
      const [day, language] = key.split('\u0000') as [string, string];
      return { day, language, events: set.size };
    })
    .sort((a, b) =>
      a.day === b.day
        ? a.language < b.language
          ? -1
          : a.language > b.language
            ? 1
            : 0
        : a.day < b.day
          ? -1
          : 1,
    );
}
