import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  createApp as createBotApp,
  createCommandService,
  type CommandService,
} from '@wikipulse/bot';
import { clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import { createApp as createIngestorApp, type IngestorApp } from '@wikipulse/ingestor';
import { KafkaBus, MemoryBus, type Bus } from '@wikipulse/kafka';
import { sleep } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { Registry } from '@wikipulse/metrics';
import { createApp as createSinkApp } from '@wikipulse/sink';
import { migrate, openClickHouse, type Store } from '@wikipulse/store';
import type { LocalEnv } from './env.js';

export interface Pipeline {
  store: Store;
  commands: CommandService;
  ingestor: IngestorApp['stats'];
  /** Rows in `changes` (copies not yet merged away included). */
  storedRows(): Promise<number>;
  /** Stops in dependency order: the stream first, then the sink drains, then storage. */
  close(): Promise<void>;
}

/** How long a clean stop lets the sink drain the in-process bus. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * The ingestor, the sink and the bot as production runs them, composed in one process through
 * their `createApp`: events go through an in-process bus (or Kafka when KAFKA_BROKERS is set)
 * into ClickHouse (embedded in this process, or a server when CLICKHOUSE_URL is set).
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
  const bus: Bus =
    env.KAFKA_BROKERS.length > 0
      ? new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-local', log })
      : new MemoryBus();

  const sink = createSinkApp(env.sink, { bus, clickhouse: client, log, registry, onFatal });
  await sink.start();
  const ingestor = createIngestorApp(
    { ...env.ingestor, STREAM_URL: streamUrl },
    { bus, log: log.child({ component: 'ingestor' }), registry, onFatal },
  );
  await ingestor.start();
  const commands = createCommandService(env.bot, store, log.child({ component: 'bot' }));
  // The bot on Discord, standalone: its gateway runs commands in this process.
  const discord = env.DISCORD_TOKEN
    ? createBotApp(
        { ...env.bot, DISCORD_TOKEN: env.DISCORD_TOKEN },
        { bus, store, log: log.child({ component: 'discord' }), registry },
      )
    : undefined;
  await discord?.start();

  return {
    store,
    commands,
    ingestor: ingestor.stats,
    storedRows: async () => {
      const result = await client.query({
        query: `SELECT count() AS n FROM ${env.CLICKHOUSE_DATABASE}.changes`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: number }>();
      return row?.n ?? 0;
    },
    close: async () => {
      await discord?.close();
      await ingestor.close();
      await drain(bus, env.sink.GROUP_ID, env.sink.TOPIC);
      await sink.close();
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
    await sleep(100);
  }
}
