import { resolve } from 'node:path';
import {
  clickHouseEnv,
  clickHouseEnvRules,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  parseEnv,
  z,
  type Env,
} from '@wikipulse/config';

const schema = z
  .object({
    ...kafkaEnv,
    KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS.refine(
      (b) => b.length > 0,
      'at least one broker is required',
    ),
    TOPIC: z.string().min(1).default('wikipulse.recentchange'),
    /** Used only when the sink is the first to need the topic and creates it. */
    TOPIC_PARTITIONS: envVar.positiveInt(6),
    GROUP_ID: z.string().min(1).default('wikipulse-sink'),
    DEAD_LETTER_TOPIC: z.string().min(1).default('wikipulse.recentchange.dead-letter'),
    ...clickHouseEnv,
    CLICKHOUSE_PATH: z.string().min(1).default('.data/clickhouse'),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a ClickHouse identifier')
      .default('wikipulse'),
    RETENTION_DAYS: envVar.positiveInt(30),
    BATCH_MAX_ROWS: envVar.positiveInt(5_000),
    // At most a second: at live rate a batch never fills, so this bounds how late an event lands.
    BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(1000).default(200),
    FETCH_MAX_BYTES: envVar.positiveInt(8 * 1024 * 1024),
    FETCH_MAX_BYTES_PER_PARTITION: envVar.positiveInt(2 * 1024 * 1024),
    PARTITIONS_CONSUMED_CONCURRENTLY: envVar.positiveInt(6),
    KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
    RETRY_MAX_MS: envVar.positiveInt(30_000),
    METRICS_PORT: envVar.port(9464),
    METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    SHUTDOWN_DEADLINE_MS: envVar.positiveInt(25_000),
    LOG_LEVEL: envVar.logLevel(),
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules);

export type SinkEnv = z.output<typeof schema> & { clickhousePath: string };

export function loadEnv(env: Env = process.env): SinkEnv {
  const parsed = parseEnv(schema, env);
  return { ...parsed, clickhousePath: resolve(parsed.CLICKHOUSE_PATH) };
}
