import { chTime, db, select, type Store } from './context.js';

/**
 * `active`: delivered; `paused`: paused by a user; `unreachable`: paused because its channel
 * answered 403 or 404 (the reason says which); `removed`: gone for good.
 */
export type FeedState = 'active' | 'paused' | 'unreachable' | 'removed';

export interface Feed {
  feed_id: string;
  channel_id: string;
  guild_id: string;
  created_by: string;
  /** `changes` or `spikes`. */
  kind: string;
  /** The filter as JSON; the bot validates it before writing and after reading. */
  filter: string;
  state: FeedState;
  reason: string;
  created_at: string;
}

/** Writes a feed's new state: the newest row of a feed is its state. */
export async function writeFeed(store: Store, feed: Feed, at: Date = new Date()): Promise<void> {
  await store.client.insert({
    table: `${db(store)}.feeds`,
    values: [{ ...feed, updated_at: chTime(at) }],
    format: 'JSONEachRow',
  });
}

const LATEST = (where: string, d: string) => `
  SELECT feed_id, channel_id,
         argMax(guild_id, updated_at) AS guild_id,
         argMax(created_by, updated_at) AS created_by,
         argMax(kind, updated_at) AS kind,
         argMax(filter, updated_at) AS filter,
         argMax(state, updated_at) AS state,
         argMax(reason, updated_at) AS reason,
         min(created_at) AS created_at
  FROM (SELECT * FROM ${d}.feeds WHERE ${where})
  GROUP BY channel_id, feed_id`;

/** A channel's feeds that were not removed, oldest first. */
export function channelFeeds(store: Store, channelId: string): Promise<Feed[]> {
  return select<Feed>(
    store,
    `SELECT * FROM (${LATEST('channel_id = {channel:String}', db(store))})
     WHERE state != 'removed' ORDER BY created_at, feed_id`,
    { channel: channelId },
  );
}

/** How many feeds a server has that were not removed. */
export async function guildFeedCount(store: Store, guildId: string): Promise<number> {
  const rows = await select<{ count: number | string }>(
    store,
    `SELECT count() AS count FROM (${LATEST('guild_id = {guild:String}', db(store))})
     WHERE state != 'removed'`,
    { guild: guildId },
  );
  return Number(rows[0]?.count ?? 0);
}

/** Every feed being delivered: what the bot's workers keep in memory. */
export function activeFeeds(store: Store): Promise<Feed[]> {
  return select<Feed>(
    store,
    `SELECT * FROM (${LATEST('1', db(store))}) WHERE state = 'active'`,
    {},
  );
}
