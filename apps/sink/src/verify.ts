import type { Bus } from '@wikipulse/kafka';
import type { ChangeRow, ClickHouseClient } from '@wikipulse/store';
import { sleep } from './retry.js';

/**
 * Checks of what a drained topic should look like in storage, shared by the integration tests
 * and the benchmark.
 */

/** Resolves once the group has committed every partition up to its end offset. */
export async function waitForCommit(
  bus: Bus,
  groupId: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const end = await bus.endOffsets(topic);
  for (;;) {
    const committed = await bus.committedOffsets(groupId, topic);
    if ([...end].every(([p, offset]) => committed.get(p) === offset)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `group ${groupId} did not reach the end of ${topic}: committed ${JSON.stringify([...committed])}, end ${JSON.stringify([...end])}`,
      );
    }
    await sleep(100);
  }
}

/** Rows read with FINAL, and the distinct event ids among them (64-bit counts come as numbers). */
export async function storedDistinctIds(
  client: ClickHouseClient,
  database: string,
): Promise<{ total: number; distinct: number }> {
  const result = await client.query({
    query: `SELECT count() AS total, uniqExact(event_id) AS distinct FROM ${database}.changes FINAL`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ total: number; distinct: number }>();
  return { total: row?.total ?? 0, distinct: row?.distinct ?? 0 };
}

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
