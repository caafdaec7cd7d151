import { envVar, parseEnv, z, type Env } from '@wikipulse/config';

const schema = z
  .object({
    WATCH_NAMESPACE: z.string().min(1),
    POD_NAME: z.string().min(1).default('wikipulse-operator'),
    KAFKA_BROKERS: envVar.list().refine((v) => v.length > 0, 'at least one broker'),
    CLICKHOUSE_URL: z.url(),
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
  .refine(
    (env) => env.CLICKHOUSE_URL_SECRET !== undefined || !/\/\/[^/]*@/.test(env.CLICKHOUSE_URL),
    {
      path: ['CLICKHOUSE_URL'],
      message: 'carries credentials: set CLICKHOUSE_URL_SECRET so they stay out of Deployments',
    },
  );

export type OperatorEnv = z.output<typeof schema>;

export function loadEnv(env: Env = process.env): OperatorEnv {
  return parseEnv(schema, env);
}
