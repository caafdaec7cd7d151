import { resolve } from 'node:path';
import {
  TOPICS,
  clickHouseEnv,
  clickHouseEnvRules,
  databaseEnv,
  embeddedPathEnv,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  opsEnv,
  parseEnv,
  processEnv,
  topicVar,
  z,
  type Env,
} from '@wikipulse/config';

/** What the sink does, whoever connects it (its own process, or `npm start`). */
const settings = {
  TOPIC: topicVar(TOPICS.events),
  /** Used only when the sink is the first to need the topic and creates it. */
  TOPIC_PARTITIONS: envVar.positiveInt(6),
  GROUP_ID: z.string().min(1).default('wikipulse-sink'),
  DEAD_LETTER_TOPIC: topicVar(TOPICS.deadLetter),
  ...databaseEnv,
  BATCH_MAX_ROWS: envVar.positiveInt(5_000),
  // At most a second: at live rate a batch never fills, so this bounds how late an event lands.
  BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(1000).default(200),
  FETCH_MAX_BYTES: envVar.positiveInt(8 * 1024 * 1024),
  FETCH_MAX_BYTES_PER_PARTITION: envVar.positiveInt(2 * 1024 * 1024),
  PARTITIONS_CONSUMED_CONCURRENTLY: envVar.positiveInt(6),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
  RETRY_MAX_MS: envVar.positiveInt(30_000),
};

const configSchema = z.object(settings);

/** The sink's settings, as `createApp` takes them. */
export type SinkConfig = z.output<typeof configSchema>;

/** The sink's settings alone, for a process that gives it its bus and ClickHouse client. */
export function loadSinkConfig(env: Env = process.env): SinkConfig {
  return parseEnv(configSchema, env);
}

/** The sink process's whole environment: its settings and how it reaches Kafka and ClickHouse. */
const envSchema = z
  .object({
    ...settings,
    ...kafkaEnv,
    KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS.refine(
      (b) => b.length > 0,
      'at least one broker is required',
    ),
    ...clickHouseEnv,
    ...embeddedPathEnv,
    ...opsEnv,
    ...processEnv,
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules);

export type SinkEnv = z.output<typeof envSchema> & { clickhousePath: string };

export function loadEnv(env: Env = process.env): SinkEnv {
  const parsed = parseEnv(envSchema, env);
  return { ...parsed, clickhousePath: resolve(parsed.CLICKHOUSE_PATH) };
}
