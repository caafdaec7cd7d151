export {
  CLICKHOUSE_SETTINGS,
  openClickHouse,
  type ClickHouseClient,
  type ClickHouseTarget,
} from './client.js';
export {
  MIGRATIONS,
  assertIdentifier,
  databaseExists,
  dropDatabase,
  migrate,
  type Migration,
  type MigrationReport,
  type SchemaOptions,
} from './schema.js';
export { clickHouseTime, toChangeRow, type ChangeRow } from './rows.js';
export { changesRetentionDays, retentionCutoff } from './retention.js';
export * from './queries/index.js';
