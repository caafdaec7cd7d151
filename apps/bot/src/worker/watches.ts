import { createHash } from 'node:crypto';
import { isCanary, parseEvent, type RecentChange } from '@wikipulse/events';
import type { Bus, Consumer } from '@wikipulse/kafka';
import type { Logger } from '@wikipulse/logger';
import { activeWatches, toChangeRow, type Store, type Watch } from '@wikipulse/store';
import { changeLine } from '../commands/recent.js';
import { renderDiscord } from '../reply/discord.js';
import { info } from '../reply/model.js';
import type { DiscordResponder } from '../discord/responder.js';
import type { BotMetrics } from '../metrics.js';

export interface WatchNotifierOptions {
  bus: Bus;
  store: Store;
  /** The raw event topic the ingestor writes (the sink reads it too, in its own group). */
  topic: string;
  groupId: string;
  responder: DiscordResponder;
  log: Logger;
  metrics?: BotMetrics;
  refreshMs: number;
  /** Changes older than this are not announced (a new group starts at the topic's beginning). */
  maxAgeMs?: number;
}

export interface WatchNotifier {
  refresh(): Promise<void>;
  /** A member of its consumer group (false during a Kafka outage, until it rejoins). */
  isRunning(): boolean;
  close(): Promise<void>;
}

/**
 * Delivers page watches: a consumer group of its own on the raw event topic, so every change
 * is looked at by exactly one worker, whichever holds its partition. Each worker keeps every
 * active watch in memory (refreshed from ClickHouse every `refreshMs`), a hash lookup per
 * event. A message goes to each watching channel with a nonce made of the event and the
 * channel, so a redelivered event is not announced twice.
 */
export async function startWatchNotifier(options: WatchNotifierOptions): Promise<WatchNotifier> {
  const { log, metrics } = options;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  let index = new Map<string, string[]>();
  const refresh = async () => {
    index = indexWatches(await activeWatches(options.store));
  };
  await refresh();
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => log.warn({ err: error }, 'could not refresh watches'));
  }, options.refreshMs);
  timer.unref();

  const consumer: Consumer = await options.bus.consumer({
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: true,
  });
  await consumer.run(async (batch) => {
    for (const message of batch.messages) {
      if (index.size === 0 || message.value === null) continue;
      const parsed = parseEvent(message.value.toString('utf8'));
      if (!parsed.ok || isCanary(parsed.event)) continue;
      const event = parsed.event;
      const channels = index.get(watchKey(event.wiki ?? '', event.title ?? ''));
      if (channels === undefined) continue;
      if (Date.now() - Date.parse(event.meta.dt) > maxAgeMs) continue;
      for (const channelId of channels) await announce(channelId, event);
    }
  });

  async function announce(channelId: string, event: RecentChange): Promise<void> {
    const [message] = renderDiscord(
      info([changeLine(toChangeRow(event))], { title: 'A watched page changed' }),
    );
    try {
      await options.responder.send(channelId, message!, watchNonce(event.meta.id, channelId));
      metrics?.watchNotifications.inc();
    } catch (error) {
      log.warn({ err: error, channelId }, 'could not announce a watched change');
    }
  }

  return {
    refresh,
    isRunning: () => consumer.isRunning(),
    close: async () => {
      clearInterval(timer);
      await consumer.close();
    },
  };
}

export function watchKey(wiki: string, title: string): string {
  return `${wiki}\u0000${title.replace(/_/g, ' ')}`;
}

function indexWatches(watches: readonly Watch[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const watch of watches) {
    const key = watchKey(watch.wiki, watch.title);
    index.set(key, [...(index.get(key) ?? []), watch.channel_id]);
  }
  return index;
}

/** At most 25 characters, the same for the same event and channel on every worker. */
export function watchNonce(eventId: string, channelId: string): string {
  return createHash('sha256').update(`${eventId}/${channelId}`).digest('base64url').slice(0, 25);
}
