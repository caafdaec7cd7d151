import { REST } from 'discord.js';
import type { Bus } from '@wikipulse/kafka';
import { systemClock, type App, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ReadinessCheck, Registry } from '@wikipulse/metrics';
import { gateOnSchema, type SchemaGate, type Store } from '@wikipulse/store';
import { COMMANDS } from './commands/index.js';
import { startConsoleServer } from './console-http.js';
import { CommandService } from './core/service.js';
import { startGateway } from './discord/gateway.js';
import { createProcessor } from './discord/processor.js';
import { commandRecord, type CommandRequest } from './discord/request.js';
import { DiscordResponder } from './discord/responder.js';
import { CommandSigner } from './discord/signing.js';
import type { BotEnv } from './env.js';
import { createBotMetrics, type BotMetrics } from './metrics.js';
import { startCommandWorker } from './worker/commands.js';
import { startFeeds } from './feeds/index.js';
import { feedsOptions } from './feeds/options.js';
import { startDigestScheduler } from './worker/digests.js';
import { startWatchNotifier } from './worker/watches.js';

/**
 * The command service with the configured prefix, history and rate limits; the consoles run
 * without the limits, as their users are the developers themselves.
 */
export function createCommandService(
  env: BotEnv,
  store: Store,
  log: Logger,
  { rateLimited = true, clock }: { rateLimited?: boolean; clock?: Clock } = {},
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
    ...(clock ? { clock } : {}),
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
  { metrics, clock }: { metrics?: BotMetrics; clock?: Clock } = {},
) {
  const responder = new DiscordResponder(createRest(env, token));
  const service = createCommandService(env, store, log, clock ? { clock } : {});
  return {
    responder,
    service,
    process: createProcessor({
      service,
      responder,
      log,
      ...(metrics ? { metrics } : {}),
      ...(clock ? { clock } : {}),
    }),
  };
}

export interface BotDeps {
  /**
   * Kafka: the command topic between gateway and workers, and the event topic page watches
   * read. Without it (standalone only) watches are stored but not delivered.
   */
  bus?: Bus;
  /** The database, for every role but the gateway; closed by whoever opened it. */
  store?: Store;
  log: Logger;
  registry: Registry;
  /** The time of day the bot lives in; the system clock by default. */
  clock?: Clock;
}

export interface BotApp extends App {
  readonly readiness: Record<string, ReadinessCheck>;
}

/**
 * The bot in its role (see `BotEnv`). Each part it runs (the Discord gateway, the command
 * worker, the watch notifier, the console server) is started by one call and closed in the
 * reverse order. `start` waits until the database's owner has migrated the schema the bot
 * reads (it runs no DDL), staying not ready meanwhile.
 */
export function createApp(env: BotEnv, deps: BotDeps): BotApp {
  const { bus, log } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = createBotMetrics(deps.registry);
  const token = env.DISCORD_TOKEN ?? '';
  // The environment's rules made the key present for the gateway and worker roles.
  const signer =
    env.COMMAND_SIGNING_KEY_FILE === undefined
      ? undefined
      : new CommandSigner(env.COMMAND_SIGNING_KEY_FILE.text);
  const closing = new AbortController();
  const parts: { name: string; close: () => Promise<void> }[] = [];
  const started = (name: string, close: () => Promise<void>) => parts.push({ name, close });
  let ready = false;
  // Set for the roles that read ClickHouse: the schema's state, until it is there.
  let schema: SchemaGate | undefined;
  // What this role needs of Kafka right now: the gateway's producer took its latest write, and
  // the workers are members of their groups. Each heals itself after an outage.
  const kafkaChecks: (() => boolean)[] = [];

  const gateway = (submit: (request: CommandRequest) => Promise<void>) =>
    startGateway({
      token,
      apiUrl: env.DISCORD_API_URL,
      prefix: env.BOT_PREFIX,
      prefixCommands: env.BOT_PREFIX_COMMANDS,
      log,
      metrics,
      ...(env.DISCORD_SHARD_IDS.length > 0 ? { shardIds: env.DISCORD_SHARD_IDS.map(Number) } : {}),
      ...(env.DISCORD_SHARD_COUNT !== undefined ? { shardCount: env.DISCORD_SHARD_COUNT } : {}),
      submit,
      clock,
    });

  /** The store once its schema is there; undefined when the app closed first. */
  async function readyStore(): Promise<Store | undefined> {
    const store = deps.store;
    if (store === undefined) throw new Error(`BOT_ROLE=${env.BOT_ROLE} needs a store`);
    schema = gateOnSchema({
      client: store.client,
      database: store.database,
      signal: closing.signal,
      log,
    });
    return (await schema.ready) ? store : undefined;
  }

  async function serveConsole(store: Store): Promise<void> {
    if (env.CONSOLE_PORT === undefined) return;
    const server = await startConsoleServer({
      service: createCommandService(env, store, log, { rateLimited: false, clock }),
      port: env.CONSOLE_PORT,
      host: env.CONSOLE_HOST,
      log,
    });
    started('console server', () => server.close());
  }

  async function startRole(): Promise<boolean> {
    if (env.BOT_ROLE === 'console') {
      const store = await readyStore();
      if (store === undefined) return false;
      await serveConsole(store);
      return true;
    }
    if (env.BOT_ROLE === 'gateway') {
      await bus!.ensureTopics([
        {
          topic: env.BOT_COMMANDS_TOPIC,
          partitions: env.BOT_COMMANDS_PARTITIONS,
          config: { 'retention.ms': '3600000' },
        },
      ]);
      const producer = await bus!.producer();
      kafkaChecks.push(() => producer.isHealthy());
      started('producer', () => producer.close());
      const client = await gateway((request) =>
        producer.send(env.BOT_COMMANDS_TOPIC, [
          commandRecord(signer!, env.BOT_COMMANDS_TOPIC, request),
        ]),
      );
      started('discord client', () => client.destroy());
      return true;
    }
    const store = await readyStore();
    if (store === undefined) return false;
    const { process: run, responder } = createCommandProcessor(env, store, token, log, {
      metrics,
      clock,
    });
    await serveConsole(store);
    if (env.BOT_ROLE === 'worker') {
      const worker = await startCommandWorker({
        bus: bus!,
        topic: env.BOT_COMMANDS_TOPIC,
        groupId: env.BOT_WORKER_GROUP,
        process: run,
        signer: signer!,
        log,
        metrics,
        concurrency: env.BOT_WORKER_CONCURRENCY,
        clock,
      });
      kafkaChecks.push(() => worker.isRunning());
      started('command worker', () => worker.close());
    } else {
      const client = await gateway(async (request) => {
        await run(request);
      });
      started('discord client', () => client.destroy());
    }
    if (bus !== undefined && env.BOT_WATCH_ENABLED) {
      const watches = await startWatchNotifier({
        bus,
        store,
        topic: env.EVENTS_TOPIC,
        groupId: env.BOT_WATCH_GROUP,
        responder,
        log,
        metrics,
        refreshMs: env.BOT_WATCH_REFRESH_MS,
        concurrency: env.BOT_WATCH_CONCURRENCY,
        clock,
      });
      kafkaChecks.push(() => watches.isRunning());
      started('watch notifier', () => watches.close());
    } else {
      log.warn(
        'page watches are stored but not delivered: delivery reads the event topic (KAFKA_BROKERS)',
      );
    }
    if (bus !== undefined && env.BOT_FEEDS_ENABLED) {
      const feeds = await startFeeds({
        ...feedsOptions(env, { bus, store, responder, log, metrics }),
        clock,
      });
      kafkaChecks.push(() => feeds.isRunning());
      started('feeds', () => feeds.close());
    }
    if (env.BOT_DIGEST_ENABLED) {
      const digests = startDigestScheduler({
        store,
        responder,
        log,
        metrics,
        tickMs: env.BOT_DIGEST_TICK_MS,
        clock,
      });
      started('digest scheduler', () => digests.close());
    }
    return true;
  }

  let starting: Promise<void> | undefined;
  return {
    readiness: {
      started: () => ready,
      schema: () => schema?.state() ?? true,
      kafka: () => kafkaChecks.every((check) => check()),
    },
    start: () =>
      (starting ??= (async () => {
        log.info({ role: env.BOT_ROLE }, 'starting');
        if (!(await startRole()) || closing.signal.aborted) return;
        ready = true;
        log.info({ role: env.BOT_ROLE }, 'running');
      })()),
    close: async () => {
      closing.abort(new Error('bot closed'));
      await starting?.catch(() => undefined);
      const failures: unknown[] = [];
      for (const part of parts.reverse()) {
        try {
          await part.close();
        } catch (error) {
          failures.push(error);
          log.error({ err: error, part: part.name }, 'closing failed');
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'the bot did not close cleanly');
    },
  };
}
