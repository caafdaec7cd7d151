import type { Bus } from '@wikipulse/kafka';
import type { Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { Store } from '@wikipulse/store';
import type { DiscordResponder } from '../discord/responder.js';
import type { BotMetrics } from '../metrics.js';
import { startFeedDelivery } from './delivery.js';
import { startFeedMatcher } from './matcher.js';
import { FeedRegistry } from './registry.js';

export interface FeedsOptions {
  bus: Bus;
  store: Store;
  responder: DiscordResponder;
  eventsTopic: string;
  deliveriesTopic: string;
  deliveriesPartitions: number;
  matchGroupId: string;
  deliveryGroupId: string;
  windowMs: number;
  refreshMs: number;
  webUrl: string;
  spikeCheckMs: number;
  log: Logger;
  metrics?: BotMetrics;
  /** Changes older than this when matched are not delivered. */
  maxAgeMs?: number;
  tickMs?: number;
  concurrency?: number;
  /** What the ages of changes, the ticks and the spike checks are measured on. */
  clock?: Clock;
}

export interface Feeds {
  refresh(): Promise<void>;
  /** Both halves are members of their consumer groups. */
  isRunning(): boolean;
  close(): Promise<void>;
}

/**
 * Live channel feeds in a bot worker: the matcher (event topic → deliveries topic, keyed by
 * feed) and the delivery (deliveries topic → Discord, batched per feed and window), over the
 * active feeds kept in memory and reloaded every `refreshMs`. docs/architecture.md explains why.
 */
export async function startFeeds(options: FeedsOptions): Promise<Feeds> {
  const log = options.log.child({ component: 'feeds' });
  await options.bus.ensureTopics([
    {
      topic: options.deliveriesTopic,
      partitions: options.deliveriesPartitions,
      config: { 'retention.ms': '3600000' },
    },
  ]);
  const registry = new FeedRegistry(options.store, log);
  await registry.refresh();
  const timer = setInterval(() => {
    registry
      .refresh()
      .catch((error: unknown) => log.warn({ err: error }, 'could not refresh feeds'));
  }, options.refreshMs);
  timer.unref();
  const producer = await options.bus.producer();
  const delivery = await startFeedDelivery({
    bus: options.bus,
    store: options.store,
    registry,
    responder: options.responder,
    deliveriesTopic: options.deliveriesTopic,
    groupId: options.deliveryGroupId,
    log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    windowMs: options.windowMs,
    webUrl: options.webUrl,
    spikeCheckMs: options.spikeCheckMs,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const matcher = await startFeedMatcher({
    bus: options.bus,
    producer,
    registry,
    eventsTopic: options.eventsTopic,
    deliveriesTopic: options.deliveriesTopic,
    groupId: options.matchGroupId,
    log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    tickMs: options.tickMs ?? 250,
    maxAgeMs: options.maxAgeMs ?? 10 * 60_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    refresh: () => registry.refresh(),
    isRunning: () => matcher.isRunning() && delivery.isRunning(),
    close: async () => {
      clearInterval(timer);
      await matcher.close();
      await delivery.close();
      await producer.close();
    },
  };
}
