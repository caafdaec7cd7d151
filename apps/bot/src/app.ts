import { REST } from 'discord.js';
import type { Logger } from '@wikipulse/logger';
import type { Store } from '@wikipulse/store';
import { COMMANDS } from './commands/index.js';
import { CommandService } from './core/service.js';
import { createProcessor } from './discord/processor.js';
import { DiscordResponder } from './discord/responder.js';
import type { BotEnv } from './env.js';
import type { BotMetrics } from './metrics.js';

/**
 * The command service with the configured prefix, history and rate limits; the consoles run
 * without the limits, as their users are the developers themselves.
 */
export function createCommandService(
  env: BotEnv,
  store: Store,
  log: Logger,
  { rateLimited = true }: { rateLimited?: boolean } = {},
): CommandService {
  return new CommandService({
    store,
    commands: COMMANDS,
    log,
    prefix: env.BOT_PREFIX,
    retentionDays: env.RETENTION_DAYS,
    feedLimits: {
      perChannel: env.BOT_FEED_MAX_PER_CHANNEL,
      perServer: env.BOT_FEED_MAX_PER_SERVER,
    },
    ...(rateLimited
      ? { rateLimit: { burst: env.BOT_RATE_BURST, refillMs: env.BOT_RATE_REFILL_MS } }
      : {}),
  });
}

/** A REST client for replies: no gateway needed, so workers never log in to the gateway. */
export function createRest(env: BotEnv, token: string): REST {
  return new REST({
    api: env.DISCORD_API_URL,
    globalRequestsPerSecond: env.DISCORD_GLOBAL_RPS,
  }).setToken(token);
}

export function createCommandProcessor(
  env: BotEnv,
  store: Store,
  token: string,
  log: Logger,
  metrics?: BotMetrics,
) {
  const responder = new DiscordResponder(createRest(env, token));
  const service = createCommandService(env, store, log);
  return {
    responder,
    service,
    process: createProcessor({ service, responder, log, ...(metrics ? { metrics } : {}) }),
  };
}
