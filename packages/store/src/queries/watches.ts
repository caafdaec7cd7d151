import { chTime, db, select, type Store } from './context.js';

export interface Watch {
  channel_id: string;
  wiki: string;
  title: string;
}

export interface WatchChange extends Watch {
  guild_id: string;
  created_by: string;
  at?: Date;
}

async function write(store: Store, change: WatchChange, active: boolean): Promise<void> {
  await store.client.insert({
    table: `${db(store)}.watches`,
    values: [
      {
        channel_id: change.channel_id,
        wiki: change.wiki,
        title: change.title,
        guild_id: change.guild_id,
        created_by: change.created_by,
        active,
        updated_at: chTime(change.at ?? new Date()),
      },
    ],
    format: 'JSONEachRow',
  });
}

export function addWatch(store: Store, change: WatchChange): Promise<void> {
  return write(store, change, true);
}

export function removeWatch(store: Store, change: WatchChange): Promise<void> {
  return write(store, change, false);
}

/** A watch as its channel lists it: who set it up, for the permission to remove it. */
export interface ChannelWatch extends Watch {
  created_by: string;
}

/** A channel's active watches, oldest first. */
export function channelWatches(store: Store, channelId: string): Promise<ChannelWatch[]> {
  return select<ChannelWatch>(
    store,
    `SELECT channel_id, wiki, title, created_by FROM (
       SELECT channel_id, wiki, title, argMax(active, updated_at) AS active,
              argMax(created_by, updated_at) AS created_by, min(updated_at) AS first_at
       FROM ${db(store)}.watches
       WHERE channel_id = {channel:String}
       GROUP BY channel_id, wiki, title
     ) WHERE active ORDER BY first_at, wiki, title`,
    { channel: channelId },
  );
}

/** Every active watch: what the watch notifier keeps in memory. */
export function activeWatches(store: Store): Promise<Watch[]> {
  return select<Watch>(
    store,
    `SELECT channel_id, wiki, title FROM (
       SELECT channel_id, wiki, title, argMax(active, updated_at) AS active
       FROM ${db(store)}.watches
       GROUP BY channel_id, wiki, title
     ) WHERE active`,
    {},
  );
}
