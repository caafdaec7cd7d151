import { isCanary, parseEvent, type RecentChange } from '@wikipulse/events';
import type { Bus, Consumer } from '@wikipulse/kafka';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import {
  activeWatches,
  pauseChannel,
  pausedChannels,
  toChangeRow,
  type Store,
  type Watch,
} from '@wikipulse/store';
import { changeLine } from '../commands/recent.js';
import { renderDiscord } from '../reply/discord.js';
import { info } from '../reply/model.js';
import { channelRefusal, stableNonce, type DiscordResponder } from '../discord/responder.js';
import type { BotMetrics } from '../metrics.js';
import { groupBy, runGroups } from './groups.js';

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
  /** Channels posted to at the same time; each channel's messages stay in order. */
  concurrency: number;
  /** Changes older than this are not announced (a new group starts at the topic's beginning). */
  maxAgeMs?: number;
  /** The age of a change is measured on it, from its `meta.dt`. */
  clock?: Clock;
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
 * channel, so a redelivered event is not announced twice. A batch's messages are sent to up
 * to `concurrency` channels at once, in order within each channel, so a busy page (or a
 * channel Discord is slowing down) does not hold up the others. A channel Discord refuses
 * (403, 404) is paused in the store: `!watch` says so, and adding a watch there resumes it.
 */
export async function startWatchNotifier(options: WatchNotifierOptions): Promise<WatchNotifier> {
  const { log, metrics } = options;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const clock = options.clock ?? systemClock;
  let index = new Map<string, string[]>();
  let paused = new Set<string>();
  const refresh = async () => {
    const [watches, pausedNow] = await Promise.all([
      activeWatches(options.store),
      pausedChannels(options.store),
    ]);
    paused = new Set(pausedNow.map((p) => p.channel_id));
    index = indexWatches(watches.filter((w) => !paused.has(w.channel_id)));
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
    const announcements: Announcement[] = [];
    const now = clock().getTime();
    for (const message of batch.messages) {
      if (index.size === 0 || message.value === null) continue;
      const parsed = parseEvent(message.value.toString('utf8'));
      if (!parsed.ok || isCanary(parsed.event)) continue;
      const event = parsed.event;
      const channels = index.get(watchKey(event.wiki ?? '', event.title ?? ''));
      if (channels === undefined) continue;
      if (now - Date.parse(event.meta.dt) > maxAgeMs) continue;
      for (const channelId of channels) announcements.push({ channelId, event });
    }
    await runGroups(
      groupBy(announcements, (a) => a.channelId).values(),
      options.concurrency,
      announce,
    );
  });

  async function announce({ channelId, event }: Announcement): Promise<void> {
    if (paused.has(channelId)) return;
    const [message] = renderDiscord(
      info([changeLine(toChangeRow(event))], { title: 'A watched page changed' }),
    );
    try {
      await options.responder.send(channelId, message!, stableNonce(event.meta.id, channelId));
      metrics?.watchNotifications.inc();
    } catch (error) {
      const status = channelRefusal(error);
      if (status === undefined) {
        log.warn({ err: error, channelId }, 'could not announce a watched change');
        return;
      }
      // Every later message there would be refused too, and each refusal counts against the
      // bot's invalid-request limit: stop until someone sets a watch up there again.
      paused.add(channelId);
      metrics?.channelsPaused.inc({ delivery: 'watch' });
      log.warn({ channelId, status }, 'Discord refuses this channel: pausing its watches');
      await pauseChannel(options.store, channelId, status).catch((err: unknown) =>
        log.warn({ err, channelId }, 'could not record the paused channel'),
      );
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

interface Announcement {
  channelId: string;
  event: RecentChange;
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
