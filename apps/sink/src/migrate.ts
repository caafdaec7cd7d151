import { resolve } from 'node:path';
import {
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseTarget,
  envVar,
  loadOrExit,
  parseEnv,
  z,
} from '@wikipulse/config';
import { createLogger } from '@wikipulse/logger';
import { migrate, openClickHouse } from '@wikipulse/store';

/** `npm run migrate`: applies the schema and retention, then exits. */
const env = loadOrExit(() =>
  parseEnv(
    z
      .object({
        ...clickHouseEnv,
        CLICKHOUSE_PATH: z.string().min(1).default('.data/clickhouse'),
        CLICKHOUSE_DATABASE: z.string().min(1).default('wikipulse'),
        RETENTION_DAYS: envVar.positiveInt(30),
        LOG_LEVEL: envVar.logLevel(),
      })
      .check(...clickHouseEnvRules),
  ),
);
const log = createLogger({ name: 'migrate', level: env.LOG_LEVEL });
const client = openClickHouse(clickHouseTarget(env, resolve(env.CLICKHOUSE_PATH)));
try {
  const report = await migrate(client, {
    database: env.CLICKHOUSE_DATABASE,
    retentionDays: env.RETENTION_DAYS,
  });
  log.info(report, 'schema up to date');
} finally {
  await client.close();
}
