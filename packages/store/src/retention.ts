import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseTime } from './rows.js';
import { assertIdentifier } from './schema.js';

/** The `changes` TTL as the migrations write it (`001-changes.ts`, `applyRetention`). */
const CHANGES_TTL = /\bTTL toDateTime\(event_time\) \+ toIntervalDay\((\d+)\)/;

const DAY_SECONDS = 86_400;

/**
 * The retention in days the `changes` table's TTL enforces now, read from the table rather than
 * the configuration: the last process to migrate set it. Undefined when the table has no TTL of
 * the migrations' form.
 */
export async function changesRetentionDays(
  client: ClickHouseClient,
  database: string,
): Promise<number | undefined> {
  const result = await client.query({
    query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'changes'`,
    query_params: { db: assertIdentifier(database) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ engine_full: string }>();
  const days = row && CHANGES_TTL.exec(row.engine_full)?.[1];
  return days === undefined ? undefined : Number(days);
}

/**
 * The `event_time` (as `toChangeRow` writes it) below which a `changes` row is already past
 * retention at `nowMs`: ClickHouse drops such rows as it inserts them. Under
 * `TTL toDateTime(event_time) + toIntervalDay(days)` a row expires once its TTL, in whole seconds
 * (`toDateTime` drops the milliseconds), is at or before the current second; the column is UTC,
 * so a day is always 86,400 s. Rows compare to the cutoff as text, which their fixed
 * `YYYY-MM-DD hh:mm:ss.sss` form orders like time.
 */
export function retentionCutoff(retentionDays: number, nowMs: number): string {
  const lastExpiredSecond = Math.floor(nowMs / 1000) - retentionDays * DAY_SECONDS;
  return clickHouseTime(new Date((lastExpiredSecond + 1) * 1000).toISOString());
}
