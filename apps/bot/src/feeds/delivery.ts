import { createHash } from 'node:crypto';
import { DiscordAPIError } from 'discord.js';
import { SPIKE_THRESHOLD } from '@wikipulse/events';
import type { Bus, Consumer } from '@wikipulse/kafka';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import {
  pauseChannel,
  recordSpikeAlerts,
  spikeAlertsSince,
  trendingPages,
  type SpikeAlert,
  type Store,
  type TrendingRow,
} from '@wikipulse/store';
import type { DiscordResponder } from '../discord/responder.js';
import type { DiscordMessage } from '../reply/discord.js';
import type { BotMetrics } from '../metrics.js';
import type { FeedRegistry, LiveFeed } from './registry.js';
import { feedMessage, spikeMessage } from './render.js';
import { PartitionWindows, decodeRecord, type DeliveryWindow } from './window.js';

export interface FeedDeliveryOptions {
  bus: Bus;
  store: Store;
  registry: FeedRegistry;
  responder: DiscordResponder;
  deliveriesTopic: string;
  groupId: string;
  log: Logger;
  metrics?: BotMetrics;
  windowMs: number;
  /** The web page the "+N more" links point to. */
  webUrl: string;
  /** How often spike feeds are checked; 0 turns spike feeds off. */
  spikeCheckMs: number;
  /** Messages sent at the same time; discord.js queues each channel's route and the global limit. */
  concurrency?: number;
  clock?: Clock;
}

export interface FeedDelivery {
  isRunning(): boolean;
  close(): Promise<void>;
}

interface PartitionState {
  windows: PartitionWindows;
  /** Sends and commits of this partition, one window after the other. */
  chain: Promise<void>;
  pending: number;
  lastSeen: number;
}

/** How long a partition without any record (ticks come every second) still counts as owned. */
const OWNED_FOR_MS = 5_000;
/** A page alerts again within the hour only when its edits have doubled since its last alert. */
const SPIKE_QUIET_MS = 60 * 60_000;

/**
 * The second half of feed delivery: a consumer group on the deliveries topic, keyed by feed id,
 * so each feed is served by the one worker holding its partition. Each partition is cut into
 * windows (`PartitionWindows`); a closed window sends at most one message per feed, with a
 * nonce made of the feed and the window's first offset, and its offset is committed only after
 * every message of it was accepted or refused. A worker that takes a partition over re-reads the
 * uncommitted windows, cuts them the same way and sends them with the same nonces, which
 * Discord (`enforce_nonce`) answers with the message already sent: nothing lost, nothing twice.
 * A channel answering 403 or 404 has its feeds paused, and `!feed list` says why.
 */
export async function startFeedDelivery(options: FeedDeliveryOptions): Promise<FeedDelivery> {
  const { store, registry, responder, log, metrics } = options;
  const clock = options.clock ?? systemClock;
  const concurrency = options.concurrency ?? 32;
  const partitionCount = (await options.bus.endOffsets(options.deliveriesTopic)).size;
  const states = new Map<number, PartitionState>();
  const pausing = new Set<string>();
  let closed = false;

  const consumer: Consumer = await options.bus.consumer({
    groupId: options.groupId,
    topics: [options.deliveriesTopic],
    fromBeginning: true,
    maxWaitMs: 50,
    sessionTimeoutMs: 10_000,
  });
  await consumer.run(
    async (batch) => {
      let state = states.get(batch.partition);
      if (state === undefined) {
        state = {
          windows: new PartitionWindows(
            batch.partition,
            options.windowMs,
            Math.floor((batch.partition * options.windowMs) / partitionCount),
          ),
          chain: Promise.resolve(),
          pending: 0,
          lastSeen: 0,
        };
        states.set(batch.partition, state);
      }
      state.lastSeen = clock().getTime();
      const windows = state.windows.add(
        batch.messages.map((m) => ({
          offset: m.offset,
          record: m.value === null ? undefined : decodeRecord(m.value.toString('utf8')),
        })),
      );
      for (const window of windows) {
        const current = state;
        current.pending += 1;
        current.chain = current.chain
          .then(() => deliverWindow(window))
          .catch((error: unknown) =>
            log.error({ err: error, partition: window.partition }, 'feed window failed'),
          )
          .finally(() => {
            current.pending -= 1;
          });
      }
      // Bounded memory: a partition far behind on sending waits before reading more.
      if (state.pending > 3) await state.chain;
    },
    { manualCommit: true },
  );

  async function deliverWindow(window: DeliveryWindow): Promise<void> {
    if (window.batches.some((batch) => registry.get(batch.feedId) === undefined)) {
      await registry.refreshIfOlderThan(1_000);
    }
    const sends = window.batches.flatMap((batch) => {
      const live = registry.get(batch.feedId);
      if (live === undefined) return [];
      return [
        () =>
          send(
            live,
            feedMessage(batch, live.filter, options.webUrl),
            batchNonce(batch.feedId, `${window.partition}/${window.start}`),
            batch.lines.length,
          ),
      ];
    });
    await runPooled(sends, concurrency);
    await consumer.commit([
      { topic: options.deliveriesTopic, partition: window.partition, offset: window.commitOffset },
    ]);
  }

  async function send(
    live: LiveFeed,
    message: DiscordMessage,
    nonce: string,
    changes: number,
  ): Promise<boolean> {
    const channelId = live.feed.channel_id;
    for (let attempt = 0; ; attempt += 1) {
      if (closed || pausing.has(channelId)) return false;
      try {
        await responder.send(channelId, message, nonce);
        metrics?.feedMessages.inc({ outcome: 'sent' });
        metrics?.feedChanges.inc(changes);
        return true;
      } catch (error) {
        if (error instanceof DiscordAPIError && (error.status === 403 || error.status === 404)) {
          metrics?.feedMessages.inc({ outcome: 'unreachable' });
          await refuseChannel(live, error.status);
          return false;
        }
        if (attempt >= 4) {
          metrics?.feedMessages.inc({ outcome: 'failed' });
          log.error(
            { err: error, feedId: live.feed.feed_id, channelId },
            'could not deliver a feed message',
          );
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  /**
   * Discord refused the channel: recorded where watches and digests record it too, so every
   * worker stops delivering there, and `!feed list` says why, until someone resumes a feed or
   * sets something else up in the channel.
   */
  async function refuseChannel(live: LiveFeed, status: number): Promise<void> {
    const channelId = live.feed.channel_id;
    if (pausing.has(channelId)) return;
    pausing.add(channelId);
    registry.forget(channelId);
    try {
      await pauseChannel(store, channelId, status, clock());
      log.warn({ channelId, status }, 'paused the feeds of a channel Discord refused');
    } finally {
      pausing.delete(channelId);
    }
  }

  // Spike feeds: checked by the worker holding the feed's partition, as its changes would be.
  // Which pages a feed alerted lives in the store, not in this worker: a feed that moves to
  // another worker does not alert the same page again within the hour.
  async function checkSpikes(): Promise<void> {
    const now = clock().getTime();
    const owned = new Set(
      [...states].filter(([, s]) => now - s.lastSeen < OWNED_FOR_MS).map(([p]) => p),
    );
    const mine = registry
      .spikeFeeds()
      .filter((f) => owned.has(options.bus.partitionOf(f.feed.feed_id, partitionCount)));
    const byScope = new Map<string, Promise<TrendingRow[]>>();
    const candidates: { live: LiveFeed; rows: TrendingRow[] }[] = [];
    for (const live of mine) {
      const language = live.filter.language ?? '';
      const wiki = live.filter.wiki;
      const scope = `${language}/${wiki ?? ''}`;
      let rows = byScope.get(scope);
      if (rows === undefined) {
        rows = trendingPages(store, {
          language,
          ...(wiki !== undefined ? { wiki } : {}),
          now: new Date(now),
          limit: 25,
        });
        byScope.set(scope, rows);
      }
      const threshold = live.filter.threshold ?? SPIKE_THRESHOLD.fallback;
      const above = (await rows).filter((row) => row.surge >= threshold);
      if (above.length > 0) candidates.push({ live, rows: above });
    }
    if (candidates.length === 0) return;
    const earlier = new Map<string, SpikeAlert>();
    const pageOf = (feedId: string, wiki: string, title: string) =>
      `${feedId}\u0000${wiki}\u0000${title}`;
    for (const alert of await spikeAlertsSince(
      store,
      candidates.map((c) => c.live.feed.feed_id),
      new Date(now - SPIKE_QUIET_MS),
    )) {
      earlier.set(pageOf(alert.feedId, alert.wiki, alert.title), alert);
    }
    const minute = Math.floor(now / 60_000);
    const sends = candidates.flatMap(({ live, rows }) => {
      const feedId = live.feed.feed_id;
      const fresh = rows.filter((row) => {
        const before = earlier.get(pageOf(feedId, row.wiki, row.title));
        return before === undefined || row.edits >= 2 * before.edits;
      });
      if (fresh.length === 0) return [];
      return [
        async () => {
          const sent = await send(
            live,
            spikeMessage(feedId, live.filter, fresh),
            batchNonce(feedId, `spikes/${minute}`),
            fresh.length,
          );
          if (!sent) return;
          // Recorded once Discord took it: a crash in between may alert these pages once
          // more, a minute later; recording first could lose the alert instead.
          await recordSpikeAlerts(
            store,
            fresh.map((row) => ({
              feedId,
              wiki: row.wiki,
              title: row.title,
              edits: row.edits,
              at: new Date(now),
            })),
          );
        },
      ];
    });
    await runPooled(sends, concurrency);
  }
  let spikeTimer: NodeJS.Timeout | undefined;
  if (options.spikeCheckMs > 0) {
    spikeTimer = setInterval(() => {
      checkSpikes().catch((error: unknown) =>
        log.warn({ err: error }, 'could not check spike feeds'),
      );
    }, options.spikeCheckMs);
    spikeTimer.unref();
  }

  return {
    isRunning: () => consumer.isRunning(),
    close: async () => {
      clearInterval(spikeTimer);
      // Windows already closed are sent and committed before the consumer leaves its group, so
      // a clean stop hands its partitions over with nothing to repeat.
      await consumer.pause();
      await Promise.all([...states.values()].map((s) => s.chain));
      closed = true;
      await consumer.close();
    },
  };
}

/** At most 25 characters, the same for the same feed and batch on every worker. */
export function batchNonce(feedId: string, batch: string): string {
  return createHash('sha256').update(`feed/${feedId}/${batch}`).digest('base64url').slice(0, 25);
}

async function runPooled(
  tasks: readonly (() => Promise<unknown>)[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next]!;
      next += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
