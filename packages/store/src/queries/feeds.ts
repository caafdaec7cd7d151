import { chTime, db, select, type Store } from './context.js';

/**
 * `active`: delivered, unless Discord refused its channel (`paused_channels`, shared with watches
 * and digests); `paused`: paused by a user; `removed`: gone for good.
 */
export type FeedState = 'active' | 'paused' | 'removed';

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

/** A spike feed's alert of one page: when, and with how many edits in the window then. */
export interface SpikeAlert {
  feedId: string;
  wiki: string;
  title: string;
  edits: number;
  at: Date;
}

/** Records alerts just posted, so that any worker holding the feeds next knows of them. */
export async function recordSpikeAlerts(
  store: Store,
  alerts: readonly SpikeAlert[],
): Promise<void> {
  if (alerts.length === 0) return;
  await store.client.insert({
    table: `${db(store)}.spike_alerts`,
    values: alerts.map((a) => ({
      feed_id: a.feedId,
      wiki: a.wiki,
      title: a.title,
      edits: a.edits,
      alerted_at: chTime(a.at),
    })),
    format: 'JSONEachRow',
  });
}

/** The newest alert of each page the given feeds posted since `since`. */
export async function spikeAlertsSince(
  store: Store,
  feedIds: readonly string[],
  since: Date,
): Promise<SpikeAlert[]> {
  if (feedIds.length === 0) return [];
  const rows = await select<{
    feed_id: string;
    wiki: string;
    title: string;
    last_edits: number;
    last_at: string;
  }>(
    store,
    // The aggregates' names differ from the columns': an alias would shadow the column it reads.
    `SELECT feed_id, wiki, title,
            argMax(edits, alerted_at) AS last_edits, max(alerted_at) AS last_at
       FROM ${db(store)}.spike_alerts
       WHERE feed_id IN {feeds:Array(String)} AND alerted_at >= {since:DateTime64(3)}
       GROUP BY feed_id, wiki, title`,
    { feeds: feedIds, since: chTime(since) },
  );
  return rows.map((r) => ({
    feedId: r.feed_id,
    wiki: r.wiki,
    title: r.title,
    edits: r.last_edits,
    // ISO text: the client asks for it (`date_time_output_format`).
    at: new Date(r.last_at),
  }));
}
