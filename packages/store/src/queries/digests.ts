import {
  SCOPE_FILTER,
  chTime,
  db,
  scopeParams,
  select,
  type Scope,
  type Store,
} from './context.js';
import { dailyStats, type DailyStats } from './stats.js';
import { topPages, type TopPageRow } from './top.js';

/** A channel's daily digest setting. */
export interface Digest {
  channel_id: string;
  guild_id: string;
  /** `all`, a language code or a multilingual wiki's alias, as the user typed it. */
  scope: string;
  /** When it is posted, minutes after midnight UTC. */
  minute_of_day: number;
}

/** A digest as stored now, with when its setting was written (`YYYY-MM-DD hh:mm:ss.sss` UTC). */
export interface ActiveDigest extends Digest {
  updated_at: string;
}

export interface DigestChange extends Digest {
  created_by: string;
  at?: Date;
}

async function writeDigest(store: Store, change: DigestChange, active: boolean): Promise<void> {
  await store.client.insert({
    table: `${db(store)}.digests`,
    values: [
      {
        channel_id: change.channel_id,
        guild_id: change.guild_id,
        scope: change.scope,
        minute_of_day: change.minute_of_day,
        created_by: change.created_by,
        active,
        updated_at: chTime(change.at ?? new Date()),
      },
    ],
    format: 'JSONEachRow',
  });
}

export function setDigest(store: Store, change: DigestChange): Promise<void> {
  return writeDigest(store, change, true);
}

export function removeDigest(store: Store, change: DigestChange): Promise<void> {
  return writeDigest(store, change, false);
}

const CURRENT_DIGESTS = (store: Store, where: string) =>
  `SELECT channel_id, guild_id, scope, minute_of_day, toString(set_at) AS updated_at FROM (
     SELECT channel_id, max(updated_at) AS set_at,
            argMax(guild_id, updated_at) AS guild_id,
            argMax(scope, updated_at) AS scope,
            argMax(minute_of_day, updated_at) AS minute_of_day,
            argMax(active, updated_at) AS active
     FROM ${db(store)}.digests
     ${where}
     GROUP BY channel_id
   ) WHERE active ORDER BY channel_id`;

/** A channel's digest, when it has one. */
export async function channelDigest(
  store: Store,
  channelId: string,
): Promise<ActiveDigest | undefined> {
  const rows = await select<ActiveDigest>(
    store,
    CURRENT_DIGESTS(store, 'WHERE channel_id = {channel:String}'),
    { channel: channelId },
  );
  return rows[0];
}

/** Every active digest: what the digest scheduler reads. */
export function activeDigests(store: Store): Promise<ActiveDigest[]> {
  return select<ActiveDigest>(store, CURRENT_DIGESTS(store, ''), {});
}

/** Where a digest of one day stands: nobody took it yet, a worker claimed it, or it was posted. */
export interface DigestPostState {
  posted: boolean;
  /** The earliest claim since `claimsSince`: the worker that should post it. */
  claimedBy?: string;
}

export async function recordDigestPost(
  store: Store,
  post: { channelId: string; day: string; state: 'claimed' | 'posted'; worker: string; at: Date },
): Promise<void> {
  await store.client.insert({
    table: `${db(store)}.digest_posts`,
    values: [
      {
        channel_id: post.channelId,
        day: post.day,
        state: post.state,
        worker: post.worker,
        at: chTime(post.at),
      },
    ],
    format: 'JSONEachRow',
  });
}

export async function digestPostState(
  store: Store,
  query: { channelId: string; day: string; claimsSince: Date },
): Promise<DigestPostState> {
  const rows = await select<{ posted: number; claims: number; worker: string }>(
    store,
    `SELECT countIf(state = 'posted') AS posted,
            countIf(state = 'claimed' AND at >= {since:DateTime64(3)}) AS claims,
            argMinIf(worker, (at, worker), state = 'claimed' AND at >= {since:DateTime64(3)})
              AS worker
     FROM ${db(store)}.digest_posts
     WHERE channel_id = {channel:String} AND day = {day:Date}`,
    { channel: query.channelId, day: query.day, since: chTime(query.claimsSince) },
  );
  const row = rows[0];
  return {
    posted: (row?.posted ?? 0) > 0,
    ...(row !== undefined && row.claims > 0 ? { claimedBy: row.worker } : {}),
  };
}

export interface EditorRow {
  user: string;
  edits: number;
}

export interface DailyOverview {
  day: string;
  stats: DailyStats;
  /** The day before's total, for the change against it. */
  previousTotal: number;
  /** Distinct changes per hour (0–23) and type. */
  hourly: { hour: number; type: string; changes: number }[];
  topPages: TopPageRow[];
  /** People (bots left out) with the most edits and page creations. */
  topEditors: EditorRow[];
}

export const DIGEST_TOP = 10;

/**
 * Everything a daily digest shows for one day and scope: the exact counts from the
 * materialized `daily_counts` (this day and the one before), and from the raw rows the hourly
 * curve, the top pages and the top human editors, each counting an event once however often
 * it was stored.
 */
export async function dailyOverview(
  store: Store,
  query: Scope & { day: string },
): Promise<DailyOverview> {
  const range = dayRange(query);
  const previousDay = new Date(Date.parse(`${query.day}T00:00:00.000Z`) - 86_400_000)
    .toISOString()
    .slice(0, 10);
  const [stats, previous, hourly, pages, editors] = await Promise.all([
    dailyStats(store, query),
    dailyStats(store, { ...query, day: previousDay }),
    hourlyChanges(store, query),
    topPages(store, { ...query, limit: DIGEST_TOP }),
    select<EditorRow>(
      store,
      `SELECT user, uniqExact(event_id) AS edits
       FROM ${db(store)}.changes
       WHERE ${SCOPE_FILTER}
         AND event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
         AND type IN ('edit', 'new') AND NOT bot AND user != ''
       GROUP BY user
       ORDER BY edits DESC, user
       LIMIT {limit:UInt32}`,
      { ...range, limit: DIGEST_TOP },
    ),
  ]);
  return {
    day: query.day,
    stats,
    previousTotal: previous.total,
    hourly,
    topPages: pages,
    topEditors: editors,
  };
}

/** Distinct changes per hour of one UTC day and type: the daily chart's data. */
export async function hourlyChanges(
  store: Store,
  query: Scope & { day: string },
): Promise<{ hour: number; type: string; changes: number }[]> {
  return select(
    store,
    `SELECT toHour(event_time) AS hour, type, uniqExact(event_id) AS changes
     FROM ${db(store)}.changes
     WHERE ${SCOPE_FILTER}
       AND event_time >= {from:DateTime64(3)} AND event_time < {to:DateTime64(3)}
     GROUP BY hour, type
     ORDER BY hour, type`,
    dayRange(query),
  );
}

/** The query parameters of a scope over one UTC day. */
function dayRange(query: Scope & { day: string }) {
  const start = new Date(`${query.day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(query.day) || Number.isNaN(start.getTime())) {
    throw new RangeError('day must be YYYY-MM-DD');
  }
  return {
    ...scopeParams(query),
    from: chTime(start),
    to: chTime(new Date(start.getTime() + 86_400_000)),
  };
}
