import type { BotEnv } from '../env.js';
import type { FeedsOptions } from './index.js';

/** The feed settings of the bot's environment (docs/configuration.md lists them). */
export function feedsOptions(
  env: BotEnv,
  parts: Pick<FeedsOptions, 'bus' | 'store' | 'responder' | 'log' | 'metrics'>,
): FeedsOptions {
  return {
    ...parts,
    eventsTopic: env.EVENTS_TOPIC,
    deliveriesTopic: env.BOT_FEED_DELIVERIES_TOPIC,
    deliveriesPartitions: env.BOT_FEED_DELIVERIES_PARTITIONS,
    matchGroupId: env.BOT_FEED_MATCH_GROUP,
    deliveryGroupId: env.BOT_FEED_DELIVERY_GROUP,
    windowMs: env.BOT_FEED_WINDOW_MS,
    refreshMs: env.BOT_FEED_REFRESH_MS,
    webUrl: env.BOT_FEED_WEB_URL,
    spikeCheckMs: env.BOT_FEED_SPIKE_CHECK_MS,
  };
}
