import { resolve } from 'node:path';
import {
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseTarget,
  databaseEnv,
  embeddedPathEnv,
  envVar,
  parseEnv,
  processEnv,
  retentionEnv,
  z,
} from '@wikipulse/config';
import { runMain, taskApp } from '@wikipulse/lifecycle';
import { OwnershipError, assertOwner, migrate, openClickHouse } from '@wikipulse/store';

const schema = z
  .object({
    ...clickHouseEnv,
    ...embeddedPathEnv,
    ...databaseEnv,
    ...retentionEnv,
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
    ...processEnv,
  })
  .check(...clickHouseEnvRules);

/**
 * `npm run migrate`: applies the schema and retention on behalf of `SCHEMA_OWNER`, then exits.
 * The manual way (and the chart's migration Job) for an installation without the operator; a
 * database another owner holds is refused and left as it is (status 1).
 */
await runMain({
  name: 'migrate',
  load: () => parseEnv(schema, process.env),
  create: (env, { log, onClose }) => {
    const client = openClickHouse(clickHouseTarget(env, resolve(env.CLICKHOUSE_PATH)));
    onClose('clickhouse', () => client.close());
    return taskApp(async () => {
      try {
        const report = await migrate(client, {
          database: env.CLICKHOUSE_DATABASE,
          retentionDays: env.RETENTION_DAYS,
          owner: env.SCHEMA_OWNER,
          adoptUnowned: env.SCHEMA_ADOPT_UNOWNED,
          ...(env.SCHEMA_TOPIC !== undefined ? { topic: env.SCHEMA_TOPIC } : {}),
        });
        log.info({ ...report, owner: env.SCHEMA_OWNER }, 'schema up to date');
        return 0;
      } catch (error) {
        if (!(error instanceof OwnershipError)) throw error;
        log.error({ reason: error.reason, owner: error.owner }, error.message);
        return 1;
      }
    });
  },
});
