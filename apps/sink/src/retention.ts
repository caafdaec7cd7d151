import type { ChangeRow } from '@wikipulse/store';

/** Rows of a batch that ClickHouse will drop at insert for being past the table's retention. */
export interface PastRetention {
  /** How many. */
  rows: number;
  /** The oldest `event_time` among them; undefined when there are none. */
  oldest: string | undefined;
}

/**
 * The rows whose `event_time` is below `cutoff` (`retentionCutoff` from `@wikipulse/store`),
 * leaving out `excluded` indexes (rows ClickHouse refused, which go to the dead-letter topic
 * instead). Compares text: both sides have the fixed `YYYY-MM-DD hh:mm:ss.sss` form.
 */
export function pastRetention(
  rows: readonly ChangeRow[],
  cutoff: string,
  excluded: ReadonlySet<number> = new Set(),
): PastRetention {
  let count = 0;
  let oldest: string | undefined;
  for (let i = 0; i < rows.length; i += 1) {
    const time = rows[i]!.event_time;
    if (time >= cutoff || excluded.has(i)) continue;
    count += 1;
    if (oldest === undefined || time < oldest) oldest = time;
  }
  return { rows: count, oldest };
}
