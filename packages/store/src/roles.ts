import { createHash } from 'node:crypto';
import { assertIdentifier } from './schema.js';

/**
 * Who talks to ClickHouse, and the least each needs. The grants are data, defined once here:
 * `roleGrants` renders them as GRANT statements, `createRoleStatements` as the SQL that sets a
 * role and its user up on a server, and `usersXml` as a users.d file for a server configured by
 * files (the chart's embedded ClickHouse renders the same grants; a test keeps them equal).
 */
export const ROLE_NAMES = ['sink', 'bot', 'grafana', 'operator'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** Privileges on one table of the Wikipulse database, on all of its tables (`*`), or anywhere. */
export interface RoleGrant {
  privileges: readonly string[];
  /** A table of the Wikipulse database, `*` for all of them; absent: every database (`*.*`). */
  table?: string;
}

export interface Role {
  grants: readonly RoleGrant[];
}

export const ROLES: Readonly<Record<RoleName, Role>> = {
  /** Writes changes; daily_counts follows through its materialized view. */
  sink: {
    grants: [
      // The materialized view filling daily_counts runs as the inserting user: it reads the
      // inserted block of changes.
      { privileges: ['SELECT', 'INSERT'], table: 'changes' },
      // Enough to tell whether the schema is current before writing.
      { privileges: ['SELECT'], table: 'schema_migrations' },
    ],
  },
  /**
   * Answers commands from changes and their rollups; keeps preferences, watches, feeds and
   * digests.
   */
  bot: {
    grants: [
      { privileges: ['SELECT'], table: 'changes' },
      { privileges: ['SELECT'], table: 'daily_counts' },
      { privileges: ['SELECT'], table: 'page_minutes' },
      { privileges: ['SELECT'], table: 'page_minutes_by_page' },
      { privileges: ['SELECT', 'INSERT'], table: 'language_preferences' },
      { privileges: ['SELECT', 'INSERT'], table: 'watches' },
      { privileges: ['SELECT', 'INSERT'], table: 'feeds' },
      { privileges: ['SELECT', 'INSERT'], table: 'digests' },
      { privileges: ['SELECT', 'INSERT'], table: 'digest_posts' },
      { privileges: ['SELECT', 'INSERT'], table: 'paused_channels' },
      { privileges: ['SELECT', 'INSERT'], table: 'spike_alerts' },
      // The schema it needs is there (it runs no DDL; the database's owner migrates).
      { privileges: ['SELECT'], table: 'schema_migrations' },
    ],
  },
  /** Reads the dashboards' data, nothing else. */
  grafana: {
    grants: [{ privileges: ['SELECT'], table: '*' }],
  },
  /** Creates, migrates and deletes the databases of WikiStreams, named only at run time. */
  operator: {
    grants: [
      {
        privileges: [
          'CREATE DATABASE',
          'CREATE TABLE',
          'CREATE VIEW',
          'ALTER TTL',
          // A migration adding a column to a rollup and writing it into the stored rows.
          'ALTER ADD COLUMN',
          'ALTER MATERIALIZE COLUMN',
          // The owner written on each database, changed when a deleted stream hands it on.
          'ALTER MODIFY DATABASE COMMENT',
          // Data steps of migrations (re-attribution rewrites rows) and the migration record.
          'SELECT',
          'INSERT',
          'ALTER DELETE',
          // Deleting a stream's database drops its tables and views with it.
          'DROP DATABASE',
          'DROP TABLE',
          'DROP VIEW',
        ],
      },
    ],
  },
};

const PRIVILEGE = /^[A-Z]+( [A-Z]+)*$/;

/** `db.table`, `db.*` or `*.*` for a grant, with every identifier checked. */
function grantTarget(grant: RoleGrant, database: string): string {
  if (grant.table === undefined) return '*.*';
  const table = grant.table === '*' ? '*' : assertIdentifier(grant.table);
  return `${assertIdentifier(database)}.${table}`;
}

/** The role's GRANT statements for one Wikipulse database, without a grantee (users.d's form). */
export function roleGrants(role: RoleName, database: string): string[] {
  return ROLES[role].grants.map((grant) => {
    for (const privilege of grant.privileges) {
      if (!PRIVILEGE.test(privilege)) throw new Error(`not a privilege: ${privilege}`);
    }
    return `GRANT ${grant.privileges.join(', ')} ON ${grantTarget(grant, database)}`;
  });
}

/**
 * The name of a role's ClickHouse role for one database, `<database>_<role>_role`: users and
 * roles share one namespace on a server.
 */
export function roleName(role: RoleName, database: string): string {
  return assertIdentifier(`${assertIdentifier(database)}_${role}_role`);
}

export interface RoleUser {
  role: RoleName;
  /** The ClickHouse user. */
  name: string;
}

/**
 * SQL that creates (or brings up to date) a role with its grants and a user holding it, on a
 * server whose access is managed by SQL. The password never appears in the statements: only its
 * SHA-256, which is what ClickHouse stores anyway. Run by a user with access management.
 */
export function createRoleStatements(
  user: RoleUser & { password: string },
  database: string,
): string[] {
  const role = roleName(user.role, database);
  const name = assertIdentifier(user.name);
  if (user.password === '') throw new Error(`the password of ${name} is empty`);
  const hash = createHash('sha256').update(user.password, 'utf8').digest('hex');
  return [
    `CREATE ROLE IF NOT EXISTS ${role}`,
    // Grants removed from ROLES must go from the server too.
    `REVOKE ALL ON *.* FROM ${role}`,
    ...roleGrants(user.role, database).map((grant) => `${grant} TO ${role}`),
    `CREATE USER IF NOT EXISTS ${name} IDENTIFIED WITH sha256_hash BY '${hash}'`,
    `ALTER USER ${name} IDENTIFIED WITH sha256_hash BY '${hash}'`,
    `GRANT ${role} TO ${name}`,
    `SET DEFAULT ROLE ${role} TO ${name}`,
  ];
}

/** Where a users.d user's password comes from: an environment variable of the server, or none. */
export type XmlPassword = { fromEnv: string } | 'none';

/**
 * A users.d file declaring each user with its role's grants. ClickHouse reads `from_env` when it
 * loads the file, so the file itself holds no secret. `'none'` (no password) is for a server
 * nobody else can reach, such as the embedded engine, whose one session is `default`.
 */
export function usersXml(
  users: readonly (RoleUser & { password: XmlPassword })[],
  database: string,
): string {
  const lines = ['<clickhouse>', '  <users>'];
  for (const user of users) {
    const name = assertIdentifier(user.name);
    const password =
      user.password === 'none'
        ? '<no_password/>'
        : `<password from_env="${assertIdentifier(user.password.fromEnv)}"/>`;
    lines.push(
      `    <${name}>`,
      `      ${password}`,
      '      <networks>',
      '        <ip>::/0</ip>',
      '      </networks>',
      '      <profile>default</profile>',
      '      <quota>default</quota>',
      '      <grants>',
      ...roleGrants(user.role, database).map((grant) => `        <query>${grant}</query>`),
      '      </grants>',
      `    </${name}>`,
    );
  }
  lines.push('  </users>', '</clickhouse>', '');
  return lines.join('\n');
}
