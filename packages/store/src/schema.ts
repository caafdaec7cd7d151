import type { ClickHouseClient } from '@clickhouse/client';
import { MIGRATIONS, type SchemaOptions } from './migrations/index.js';

export { MIGRATIONS, type Migration, type SchemaOptions } from './migrations/index.js';

/**
 * Wikipulse's ClickHouse schema as versioned migrations. Every statement is idempotent
 * (`IF NOT EXISTS`), so a migration interrupted half-way is simply applied again, and several
 * sinks starting together cannot break each other. The same SQL runs on the embedded engine
 * (chdb) and on a ClickHouse 24+ server.
 *
 * Identifiers cannot be query parameters in DDL, so the database name is validated (see
 * `assertIdentifier`) and interpolated; no value from outside the configuration reaches DDL.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`not a valid ClickHouse identifier: ${JSON.stringify(name)}`);
  return name;
}

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
}

/**
 * Brings the database to the newest schema and the configured retention. Safe to run at every
 * start and from several processes at once.
 */
export async function migrate(
  client: ClickHouseClient,
  options: SchemaOptions,
): Promise<MigrationReport> {
  const db = assertIdentifier(options.database);
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
    throw new Error(`retentionDays must be a positive integer, got ${options.retentionDays}`);
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
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
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
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
 * Retention is configuration, not schema: it follows the setting at every start. The TTL is
 * changed only when it differs, because a change rewrites the tables' data.
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
