import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from './identifier.js';
import { MIGRATIONS, type SchemaOptions } from './migrations/index.js';
import { claimDatabase, type ClaimOptions } from './ownership.js';

export { MIGRATIONS, type Migration, type SchemaOptions } from './migrations/index.js';
export { assertIdentifier } from './identifier.js';

/**
 * Wikipulse's ClickHouse schema as versioned migrations. Every statement is idempotent
 * (`IF NOT EXISTS`), so a migration interrupted half-way is simply applied again, and several
 * runs started together cannot break each other. The same SQL runs on the embedded engine
 * (chdb) and on a ClickHouse 24+ server.
 *
 * Only the database's owner applies them (the operator for a WikiStream, `npm run migrate` for
 * a release, `npm start` for its embedded database; see `ownership.ts`); the sink and the bot
 * only check that the version they need is there (`schemaState`).
 */

/** The schema version this code reads and writes: the newest migration's. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** True when the database exists. */
export async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
    query_params: { db: assertIdentifier(database) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  return Number(row?.n ?? 0) > 0;
}

/**
 * Drops a database with every table in it; resolves to false when there was none, so a
 * repeated drop is not an error. `SYNC`: an Atomic database otherwise keeps the dropped
 * tables' data on disk for minutes after the statement returns.
 */
export async function dropDatabase(client: ClickHouseClient, database: string): Promise<boolean> {
  const db = assertIdentifier(database);
  if (!(await databaseExists(client, db))) return false;
  await client.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  return true;
}

export interface MigrationReport {
  applied: number[];
  alreadyApplied: number[];
  /** This run created the database (with its owner comment). */
  createdDatabase: boolean;
}

export type MigrateOptions = SchemaOptions & Omit<ClaimOptions, 'database'>;

/**
 * Brings the database to the newest schema and the configured retention, on behalf of its
 * owner: a database owned by someone else is refused (`OwnershipError`) before any statement
 * runs, so its tables and retention stay as they are. Safe to run again, and from several
 * processes of the same owner at once.
 */
export async function migrate(
  client: ClickHouseClient,
  options: MigrateOptions,
): Promise<MigrationReport> {
  const db = assertIdentifier(options.database);
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
    throw new Error(`retentionDays must be a positive integer, got ${options.retentionDays}`);
  }
  const { created } = await claimDatabase(client, { ...options, database: db });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
      version UInt32,
      name String,
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = await client.query({
    query: `SELECT version FROM ${db}.schema_migrations FINAL`,
    format: 'JSONEachRow',
  });
  const appliedBefore = new Set((await done.json<{ version: number }>()).map((r) => r.version));
  const report: MigrationReport = { applied: [], alreadyApplied: [], createdDatabase: created };
  for (const migration of MIGRATIONS) {
    if (appliedBefore.has(migration.version)) {
      report.alreadyApplied.push(migration.version);
      continue;
    }
    for (const statement of migration.statements({ ...options, database: db })) {
      await client.command({ query: statement });
    }
    await migration.apply?.(client, { ...options, database: db });
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    report.applied.push(migration.version);
  }
  await applyRetention(client, { ...options, database: db });
  return report;
}

/**
 * Retention is configuration, not schema: it follows the owner's setting at every migration.
 * The TTL is changed only when it differs, because a change rewrites the tables' data.
 */
async function applyRetention(
  client: ClickHouseClient,
  { database: db, retentionDays }: SchemaOptions,
) {
  const result = await client.query({
    query: `SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ('changes', 'daily_counts')`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  const engines = new Map(
    (await result.json<{ name: string; engine_full: string }>()).map((r) => [
      r.name,
      r.engine_full,
    ]),
  );
  const wanted = `toIntervalDay(${retentionDays})`;
  if (!engines.get('changes')?.includes(wanted)) {
    await client.command({
      query: `ALTER TABLE ${db}.changes MODIFY TTL toDateTime(event_time) + toIntervalDay(${retentionDays})`,
    });
  }
  if (!engines.get('daily_counts')?.includes(wanted)) {
    await client.command({
      query: `ALTER TABLE ${db}.daily_counts MODIFY TTL day + toIntervalDay(${retentionDays})`,
    });
  }
}
