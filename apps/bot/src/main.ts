import { kafkaConnection, loadOrExit } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry, startOpsServer } from '@wikipulse/metrics';
import { gateOnSchema, type SchemaGate } from '@wikipulse/store';
import { createCommandProcessor, createCommandService } from './app.js';
import { startConsoleServer } from './console-http.js';
import { startGateway } from './discord/gateway.js';
import { commandRecord, type CommandRequest } from './discord/request.js';
import { CommandSigner } from './discord/signing.js';
import { readBotEnv } from './env.js';
import { createBotMetrics } from './metrics.js';
import { openBotStore, type OpenedStore } from './store.js';
import { startCommandWorker } from './worker/commands.js';
import { startWatchNotifier } from './worker/watches.js';
import { feedsOptions } from './feeds/options.js';
import { startFeeds } from './feeds/index.js';

const env = loadOrExit(() => readBotEnv());
const log = createLogger({ name: 'bot', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: 20_000 });
const registry = createRegistry('bot');
const metrics = createBotMetrics(registry);
const token = env.DISCORD_TOKEN ?? '';
if (token === '' && env.BOT_ROLE !== 'console') {
  log.fatal('DISCORD_TOKEN is required to connect to Discord');
  process.exit(2);
}
// The environment's rules made the key present for the gateway and worker roles.
const signer =
  env.COMMAND_SIGNING_KEY_FILE === undefined
    ? undefined
    : new CommandSigner(env.COMMAND_SIGNING_KEY_FILE.text);
let ready = false;
// Set for the roles that read ClickHouse: the schema's state, until it is there.
let schema: SchemaGate | undefined;
// What this role needs of Kafka right now: the gateway's producer took its latest write, and
// the workers are members of their groups. Each heals itself after an outage.
const kafkaChecks: (() => boolean)[] = [];
const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  readiness: {
    started: () => ready,
    schema: () => schema?.state() ?? true,
    kafka: () => kafkaChecks.every((check) => check()),
  },
});
shutdown.add('ops server', () => ops.close());
log.info({ role: env.BOT_ROLE }, 'starting');

// Standalone needs Kafka only to deliver page watches, and only when brokers are named.
const bus =
  env.KAFKA_BROKERS.length === 0 || env.BOT_ROLE === 'console'
    ? undefined
    : new KafkaBus({ ...kafkaConnection(env), clientId: `wikipulse-bot-${env.BOT_ROLE}`, log });

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
  });

/**
 * The store once the schema the bot needs is there: the bot runs no DDL, so until the
 * database's owner has migrated it the bot stays not ready and says why. Never settles when the
 * process is shutting down first.
 */
async function readyStore(): Promise<OpenedStore> {
  const store = openBotStore(env);
  shutdown.add('clickhouse', () => store.close());
  schema = gateOnSchema({
    client: store.client,
    database: store.database,
    signal: shutdown.signal,
    log,
  });
  if (!(await schema.ready)) await new Promise<never>(() => undefined);
  return store;
}

async function serveConsole(store: OpenedStore): Promise<void> {
  if (env.CONSOLE_PORT === undefined) return;
  const server = await startConsoleServer({
    service: createCommandService(env, store, log, { rateLimited: false }),
    port: env.CONSOLE_PORT,
    host: env.CONSOLE_HOST,
    log,
  });
  shutdown.add('console server', () => server.close());
}

if (env.BOT_ROLE === 'console') {
  const store = await readyStore();
  await serveConsole(store);
} else if (env.BOT_ROLE === 'gateway') {
  await bus!.ensureTopics([
    {
      topic: env.BOT_COMMANDS_TOPIC,
      partitions: env.BOT_COMMANDS_PARTITIONS,
      config: { 'retention.ms': '3600000' },
    },
  ]);
  const producer = await bus!.producer();
  kafkaChecks.push(() => producer.isHealthy());
  shutdown.add('producer', () => producer.close());
  const client = await gateway((request) =>
    producer.send(env.BOT_COMMANDS_TOPIC, [
      commandRecord(signer!, env.BOT_COMMANDS_TOPIC, request),
    ]),
  );
  shutdown.add('discord client', () => client.destroy());
} else {
  const store = await readyStore();
  const { process: run, responder } = createCommandProcessor(env, store, token, log, metrics);
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
    });
    kafkaChecks.push(() => worker.isRunning());
    shutdown.add('command worker', () => worker.close());
  } else {
    const client = await gateway(async (request) => {
      await run(request);
    });
    shutdown.add('discord client', () => client.destroy());
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
    });
    kafkaChecks.push(() => watches.isRunning());
    shutdown.add('watch notifier', () => watches.close());
  } else {
    log.warn(
      'page watches are stored but not delivered: delivery reads the event topic (KAFKA_BROKERS)',
    );
  }
  if (bus !== undefined && env.BOT_FEEDS_ENABLED) {
    const feeds = await startFeeds(feedsOptions(env, { bus, store, responder, log, metrics }));
    kafkaChecks.push(() => feeds.isRunning());
    shutdown.add('feeds', () => feeds.close());
  }
}
ready = true;
log.info({ role: env.BOT_ROLE }, 'running');
