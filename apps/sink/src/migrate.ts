import { createLogger } from '@wikipulse/logger';
import { clickHouseTargetFromEnv, migrate, openClickHouse } from '@wikipulse/store';
import { envVar, parseEnv, z } from '@wikipulse/config';
import { resolve } from 'node:path';

/** `npm run migrate`: applies the schema and retention, then exits. */
const env = parseEnv(
  z.object({
    CLICKHOUSE_URL: z.url().optional(),
    CLICKHOUSE_PATH: z.string().min(1).default('.data/clickhouse'),
    CLICKHOUSE_DATABASE: z.string().min(1).default('wikipulse'),
    RETENTION_DAYS: envVar.positiveInt(30),
    LOG_LEVEL: envVar.logLevel(),
  }),
);
const log = createLogger({ name: 'migrate', level: env.LOG_LEVEL });
const client = openClickHouse(clickHouseTargetFromEnv(env, resolve(env.CLICKHOUSE_PATH)));
try {
  const report = await migrate(client, {
    database: env.CLICKHOUSE_DATABASE,
    retentionDays: env.RETENTION_DAYS,
  });
  log.info(report, 'schema up to date');
} finally {
  await client.close();
}
