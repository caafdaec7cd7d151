import { chTime, db, select, type Store } from './context.js';

/** A channel Discord refused to post in, with the status it answered (403 or 404). */
export interface PausedChannel {
  channel_id: string;
  status: number;
}

async function write(store: Store, channelId: string, status: number, paused: boolean, at: Date) {
  await store.client.insert({
    table: `${db(store)}.paused_channels`,
    values: [{ channel_id: channelId, paused, status, updated_at: chTime(at) }],
    format: 'JSONEachRow',
  });
}

/** Stops posting watches and digests in a channel Discord answered `status` for. */
export function pauseChannel(
  store: Store,
  channelId: string,
  status: number,
  at = new Date(),
): Promise<void> {
  return write(store, channelId, status, true, at);
}

/**
 * Posts there again: someone set a watch, a digest or a feed up in the channel since. Writes
 * only when the channel is paused.
 */
export async function resumeChannel(
  store: Store,
  channelId: string,
  at = new Date(),
): Promise<void> {
  if (await channelPause(store, channelId)) await write(store, channelId, 0, false, at);
}

const CURRENT = (store: Store, where: string) =>
  `SELECT channel_id, status FROM (
     SELECT channel_id, argMax(paused, updated_at) AS paused, argMax(status, updated_at) AS status
     FROM ${db(store)}.paused_channels
     ${where}
     GROUP BY channel_id
   ) WHERE paused`;

export function pausedChannels(store: Store): Promise<PausedChannel[]> {
  return select<PausedChannel>(store, CURRENT(store, ''), {});
}

export async function channelPause(
  store: Store,
  channelId: string,
): Promise<PausedChannel | undefined> {
  const rows = await select<PausedChannel>(
    store,
    CURRENT(store, 'WHERE channel_id = {channel:String}'),
    { channel: channelId },
  );
  return rows[0];
}
