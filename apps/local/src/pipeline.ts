import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  createCommandProcessor,
  createCommandService,
  feedsOptions,
  readBotEnv,
  startFeeds,
  startGateway,
  startWatchNotifier,
  type CommandService,
} from '@wikipulse/bot';
import { clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import {
  FileCheckpointStore,
  Ingestor,
  KafkaOutput,
  createIngestorApp,
  loadEnv as loadIngestorEnv,
  registerMetrics,
  type IngestorMetrics,
} from '@wikipulse/ingestor';
import { KafkaBus, MemoryBus, type Bus } from '@wikipulse/kafka';
import type { Logger } from '@wikipulse/logger';
import type { Registry } from '@wikipulse/metrics';
import { Sink, createSinkMetrics, loadEnv as loadSinkEnv } from '@wikipulse/sink';
import { migrate, openClickHouse, type Store } from '@wikipulse/store';
import type { LocalEnv } from './env.js';

export interface Pipeline {
  store: Store;
  commands: CommandService;
  ingestor: IngestorMetrics['stats'];
  /** Rows in `changes` (copies not yet merged away included). */
  storedRows(): Promise<number>;
  /** Stops in dependency order: the stream first, then the sink drains, then storage. */
  close(): Promise<void>;
}

/** How long a clean stop lets the sink drain the in-process bus. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * The same ingestor, sink and bot code as in production, wired in one process: events go
 * through an in-process bus (or Kafka when KAFKA_BROKERS is set) into ClickHouse (embedded in
 * this process, or a server when CLICKHOUSE_URL is set).
 */
export async function startPipeline(
  env: LocalEnv,
  streamUrl: string,
  log: Logger,
  registry: Registry,
  onFatal: (error: unknown) => void,
): Promise<Pipeline> {
  await mkdir(env.dataDir, { recursive: true });
  const target = clickHouseTarget(env, join(env.dataDir, 'clickhouse'));
  const client = openClickHouse(target);
  // The owner of its embedded database (which no other installation reaches): it takes over one
  // written before owners were recorded. A server's database is claimed like any other owner's.
  await migrate(client, {
    database: env.CLICKHOUSE_DATABASE,
    retentionDays: env.RETENTION_DAYS,
    owner: 'local',
    adoptUnowned: target.kind === 'embedded',
  });
  const store: Store = { client, database: env.CLICKHOUSE_DATABASE };

  const useKafka = env.KAFKA_BROKERS.length > 0;
  // The parts' own configuration schemas require brokers; with the in-process bus none is
  // contacted, and the placeholder only satisfies validation.
  const brokers = useKafka ? env.KAFKA_BROKERS.join(',') : 'in-process:0';
  // Unset and empty are the same to a user; the parts' schemas would refuse an empty URL.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ''));
  const partEnv = {
    ...inherited,
    STREAM_URL: streamUrl,
    KAFKA_BROKERS: brokers,
    LOG_LEVEL: env.LOG_LEVEL,
    CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE,
    RETENTION_DAYS: String(env.RETENTION_DAYS),
  };
  const ingestorEnv = loadIngestorEnv([], {
    ...partEnv,
    OUTPUT: 'kafka',
    // The in-process bus has no topic to rebuild the deduplication window from after a
    // restart, so the checkpoint file carries the recent ids instead.
    CHECKPOINT_FILE: useKafka ? '' : join(env.dataDir, 'ingestor-checkpoint.json'),
  });
  const sinkEnv = loadSinkEnv({ ...partEnv, BATCH_MAX_WAIT_MS: '250' });

  const bus: Bus = useKafka
    ? new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-local', log })
    : new MemoryBus();
  await bus.ensureTopics([
    { topic: ingestorEnv.TOPIC, partitions: ingestorEnv.TOPIC_PARTITIONS },
    { topic: ingestorEnv.DEAD_LETTER_TOPIC, partitions: 1 },
  ]);

  const sink = new Sink({
    bus,
    topic: sinkEnv.TOPIC,
    topicPartitions: sinkEnv.TOPIC_PARTITIONS,
    groupId: sinkEnv.GROUP_ID,
    deadLetterTopic: sinkEnv.DEAD_LETTER_TOPIC,
    client,
    database: env.CLICKHOUSE_DATABASE,
    batchMaxRows: sinkEnv.BATCH_MAX_ROWS,
    batchMaxWaitMs: sinkEnv.BATCH_MAX_WAIT_MS,
    fetchMaxBytes: sinkEnv.FETCH_MAX_BYTES,
    fetchMaxBytesPerPartition: sinkEnv.FETCH_MAX_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: sinkEnv.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: sinkEnv.KAFKA_SESSION_TIMEOUT_MS,
    retryMaxMs: sinkEnv.RETRY_MAX_MS,
    log: log.child({ component: 'sink' }),
    metrics: createSinkMetrics(registry),
    onFatal,
  });
  await sink.start();

  let stopIngestor: () => Promise<void>;
  let stats: IngestorMetrics['stats'];
  if (useKafka) {
    const app = await createIngestorApp(
      ingestorEnv,
      log.child({ component: 'ingestor' }),
      registry,
      onFatal,
    );
    app.ingestor.start();
    stopIngestor = () => app.close();
    stats = app.stats;
  } else {
    const metrics = registerMetrics(registry);
    const producer = await bus.producer();
    const output = new KafkaOutput(producer, ingestorEnv.TOPIC, ingestorEnv.DEAD_LETTER_TOPIC);
    const checkpoints = new FileCheckpointStore(ingestorEnv.CHECKPOINT_FILE);
    const resumeFrom = await checkpoints.load();
    const ingestor = new Ingestor({
      settings: {
        streamUrl,
        userAgent: ingestorEnv.USER_AGENT,
        since: undefined,
        stallTimeoutMs: ingestorEnv.STALL_TIMEOUT_MS,
        reconnectMinMs: ingestorEnv.RECONNECT_MIN_MS,
        reconnectMaxMs: ingestorEnv.RECONNECT_MAX_MS,
        dedupWindow: ingestorEnv.DEDUP_WINDOW,
        wikis: ingestorEnv.WIKIS,
        langs: ingestorEnv.LANGS,
        maxEventBytes: ingestorEnv.MAX_EVENT_BYTES,
        batchMaxEvents: ingestorEnv.BATCH_MAX_EVENTS,
        batchMaxBytes: ingestorEnv.BATCH_MAX_BYTES,
        lingerMs: ingestorEnv.LINGER_MS,
        maxInFlight: ingestorEnv.MAX_IN_FLIGHT,
        checkpointIntervalMs: ingestorEnv.CHECKPOINT_INTERVAL_MS,
        checkpointIds: 20_000,
        parseWorker: ingestorEnv.PARSE_WORKER,
      },
      output,
      checkpoints,
      resumeFrom,
      seenIds: resumeFrom?.recentIds ?? [],
      log: log.child({ component: 'ingestor' }),
      metrics,
      onFatal,
    });
    ingestor.start();
    stopIngestor = async () => {
      await ingestor.stop();
      await output.close();
    };
    stats = metrics.stats;
  }

  const botEnv = readBotEnv({
    ...partEnv,
    CLICKHOUSE_PATH: join(env.dataDir, 'clickhouse'),
    ...(env.DISCORD_TOKEN ? { DISCORD_TOKEN: env.DISCORD_TOKEN } : {}),
  });
  const commands = createCommandService(botEnv, store, log.child({ component: 'bot' }));
  const stopDiscord = env.DISCORD_TOKEN
    ? await startDiscord(env.DISCORD_TOKEN, botEnv, store, bus, ingestorEnv.TOPIC, log)
    : async () => {};

  return {
    store,
    commands,
    ingestor: stats,
    storedRows: async () => {
      const result = await client.query({
        query: `SELECT count() AS n FROM ${env.CLICKHOUSE_DATABASE}.changes`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: number }>();
      return row?.n ?? 0;
    },
    close: async () => {
      await stopDiscord();
      await stopIngestor();
      await drain(bus, sinkEnv.GROUP_ID, sinkEnv.TOPIC);
      await sink.stop();
      await client.close();
    },
  };
}

/** Waits until the sink has committed everything produced, or the drain timeout. */
async function drain(bus: Bus, groupId: string, topic: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const [committed, end] = await Promise.all([
      bus.committedOffsets(groupId, topic),
      bus.endOffsets(topic),
    ]);
    if (
      [...end].every(([partition, offset]) => offset === '0' || committed.get(partition) === offset)
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The bot on Discord, standalone: the gateway runs commands in this process. */
async function startDiscord(
  token: string,
  botEnv: ReturnType<typeof readBotEnv>,
  store: Store,
  bus: Bus,
  eventsTopic: string,
  log: Logger,
): Promise<() => Promise<void>> {
  const botLog = log.child({ component: 'discord' });
  const { process: run, responder } = createCommandProcessor(botEnv, store, token, botLog);
  const client = await startGateway({
    token,
    apiUrl: botEnv.DISCORD_API_URL,
    prefix: botEnv.BOT_PREFIX,
    prefixCommands: botEnv.BOT_PREFIX_COMMANDS,
    log: botLog,
    submit: async (request) => {
      await run(request);
    },
  });
  const watches = await startWatchNotifier({
    bus,
    store,
    topic: eventsTopic,
    groupId: botEnv.BOT_WATCH_GROUP,
    responder,
    log: botLog,
    refreshMs: botEnv.BOT_WATCH_REFRESH_MS,
  });
  const feeds = botEnv.BOT_FEEDS_ENABLED
    ? await startFeeds({
        ...feedsOptions(botEnv, { bus, store, responder, log: botLog }),
        eventsTopic,
      })
    : undefined;
  return async () => {
    await feeds?.close();
    await watches.close();
    await client.destroy();
  };
}
