export {
  CLICKHOUSE_SETTINGS,
  openClickHouse,
  type ClickHouseClient,
  type ClickHouseTarget,
} from './client.js';
export {
  MIGRATIONS,
  SCHEMA_VERSION,
  assertIdentifier,
  databaseExists,
  dropDatabase,
  migrate,
  type MigrateOptions,
  type Migration,
  type MigrationReport,
  type SchemaOptions,
} from './schema.js';
export {
  OwnershipError,
  assertOwnedBy,
  assertOwner,
  topicOwner,
  transferDatabase,
  type Ownership,
  type OwnershipRefusal,
} from './ownership.js';
export {
  gateOnSchema,
  schemaState,
  waitForSchema,
  type SchemaGate,
  type SchemaLog,
  type SchemaState,
  type WaitForSchemaOptions,
} from './schema-state.js';
export { clickHouseTime, toChangeRow, type ChangeRow } from './rows.js';
export { changesRetentionDays, retentionCutoff } from './retention.js';
export * from './queries/index.js';
export {
  ROLES,
  ROLE_NAMES,
  createRoleStatements,
  roleGrants,
  roleName,
  usersXml,
  type Role,
  type RoleGrant,
  type RoleName,
  type RoleUser,
  type XmlPassword,
} from './roles.js';
