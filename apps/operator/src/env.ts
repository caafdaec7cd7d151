import {
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseUrl,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  parseEnv,
  z,
  type Env,
} from '@wikipulse/config';

/**
 * The operator reaches Kafka (topics) and ClickHouse (schema) itself, with the same variables
 * as the apps; the apps it deploys get the brokers and the ClickHouse URL from it.
 */
const schema = z
  .object({
    WATCH_NAMESPACE: z.string().min(1),
    POD_NAME: z.string().min(1).default('wikipulse-operator'),
    ...kafkaEnv,
    KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS.refine((v) => v.length > 0, 'at least one broker'),
    ...clickHouseEnv,
    CLICKHOUSE_URL: clickHouseUrl,
    /** When set, the sinks read their ClickHouse URL from this Secret instead of a plain value. */
    CLICKHOUSE_URL_SECRET: z.string().min(1).optional(),
    CLICKHOUSE_URL_SECRET_KEY: z.string().min(1).default('url'),
    APP_IMAGE: z.string().min(1),
    APP_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    APP_METRICS_PORT: envVar.port(9464),
    METRICS_PORT: envVar.port(9464),
    METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: envVar.logLevel(),
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules);

export type OperatorEnv = z.output<typeof schema>;

export function loadEnv(env: Env = process.env): OperatorEnv {
  return parseEnv(schema, env);
}
