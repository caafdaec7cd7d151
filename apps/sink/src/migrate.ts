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
import { OwnershipError, assertOwner, migrate, openClickHouse } from '@wikipulse/store';

/**
 * `npm run migrate`: applies the schema and retention on behalf of `SCHEMA_OWNER`, then exits.
 * The manual way (and the chart's migration Job) for an installation without the operator; a
 * database another owner holds is refused and left as it is.
 */
const env = loadOrExit(() =>
  parseEnv(
    z
      .object({
        ...clickHouseEnv,
        CLICKHOUSE_PATH: z.string().min(1).default('.data/clickhouse'),
        CLICKHOUSE_DATABASE: z.string().min(1).default('wikipulse'),
        RETENTION_DAYS: envVar.positiveInt(30),
        /** `local` (the embedded database `npm start` owns) or `release/<namespace>/<release>`. */
        SCHEMA_OWNER: z
          .string()
          .default('local')
          .refine((owner) => {
            try {
              return assertOwner(owner) === owner;
            } catch {
              return false;
            }
          }, 'must be local, <namespace>/<stream> or release/<namespace>/<release>'),
        /** The Kafka topic the pipeline reads, recorded with the owner. */
        SCHEMA_TOPIC: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name')
          .optional(),
        /** Take over a database without a Wikipulse owner that already holds Wikipulse tables. */
        SCHEMA_ADOPT_UNOWNED: envVar.boolean(false),
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
    owner: env.SCHEMA_OWNER,
    adoptUnowned: env.SCHEMA_ADOPT_UNOWNED,
    ...(env.SCHEMA_TOPIC !== undefined ? { topic: env.SCHEMA_TOPIC } : {}),
  });
  log.info({ ...report, owner: env.SCHEMA_OWNER }, 'schema up to date');
} catch (error) {
  if (!(error instanceof OwnershipError)) throw error;
  log.error({ reason: error.reason, owner: error.owner }, error.message);
  process.exitCode = 1;
} finally {
  await client.close();
}
