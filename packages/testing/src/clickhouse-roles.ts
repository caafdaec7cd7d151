import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRoleStatements,
  openClickHouse,
  roleGrants,
  roleName,
  usersXml,
  type ClickHouseClient,
  type ClickHouseTarget,
  type RoleName,
} from '@wikipulse/store';
import type { TestClickHouse } from './vitest.js';

interface ChdbSession {
  close(): void;
}
type SessionConstructor = new (path: string, opts: { connectionArgs: string[] }) => ChdbSession;

/**
 * Runs `work` with a client that is a role's ClickHouse user (`ROLES` of `@wikipulse/store`),
 * then gives `ch` a fresh client of its own again.
 *
 * On a server the role and its user are created with `createRoleStatements` and a random
 * password. The embedded engine authenticates its one session as `default` and reads users only
 * from the users file of its configuration, so there the engine is restarted on the same data
 * with a users file (`usersXml`) in which `default` is the role's user: the engine then enforces
 * exactly the role's grants. Every other client of the data folder must be closed first, or the
 * running engine (and its users) would be shared; the grants the session reports are checked so
 * that a mistake there cannot pass for a refusal.
 */
export async function withRoleClient<T>(
  ch: TestClickHouse,
  role: RoleName,
  work: (client: ClickHouseClient) => Promise<T>,
  options: {
    /**
     * Embedded engine only: another users.d file in which `default` is the role's user (the
     * chart's, say); the engine must still report exactly the role's grants.
     */
    usersXml?: string;
  } = {},
): Promise<T> {
  if (ch.target.kind === 'server') {
    if (options.usersXml !== undefined) throw new Error('a users.d file needs the embedded engine');
    return withServerRole(ch, ch.target, role, work);
  }
  const path = ch.target.path;
  await ch.client.close();
  const configDir = await mkdtemp(join(tmpdir(), 'wikipulse-ch-users-'));
  let session: ChdbSession | undefined;
  let client: ClickHouseClient | undefined;
  try {
    await mkdir(join(configDir, 'users.d'));
    await writeFile(
      join(configDir, 'users.xml'),
      '<clickhouse><profiles><default/></profiles><quotas><default/></quotas></clickhouse>\n',
    );
    await writeFile(
      join(configDir, 'users.d', 'wikipulse.xml'),
      options.usersXml ?? usersXml([{ role, name: 'default', password: 'none' }], ch.database),
    );
    await writeFile(
      join(configDir, 'config.xml'),
      `<clickhouse><user_directories><users_xml><path>${join(configDir, 'users.xml')}</path></users_xml></user_directories></clickhouse>\n`,
    );
    const require = createRequire(import.meta.url);
    const { Session } = require('chdb') as { Session: SessionConstructor };
    session = new Session(path, {
      connectionArgs: [`--config-file=${join(configDir, 'config.xml')}`],
    });
    client = openClickHouse({ kind: 'embedded', path });
    const granted = await client.query({ query: 'SHOW GRANTS', format: 'JSONEachRow' });
    const shown = (await granted.json<Record<string, string>>()).map(
      (r) => `${Object.values(r)[0]}`,
    );
    const expected = roleGrants(role, ch.database).map((g) => `${g} TO default`);
    if (privilegePairs(shown) !== privilegePairs(expected)) {
      throw new Error(`the engine runs with grants ${JSON.stringify(shown)}, not the ${role}'s`);
    }
    return await work(client);
  } finally {
    await client?.close();
    session?.close();
    await rm(configDir, { recursive: true, force: true });
    ch.client = openClickHouse(ch.target);
  }
}

async function withServerRole<T>(
  ch: TestClickHouse,
  server: Extract<ClickHouseTarget, { kind: 'server' }>,
  role: RoleName,
  work: (client: ClickHouseClient) => Promise<T>,
): Promise<T> {
  const name = `${ch.database}_${role}`;
  const password = randomBytes(18).toString('base64url');
  for (const query of createRoleStatements({ role, name, password }, ch.database)) {
    await ch.client.command({ query });
  }
  const client = openClickHouse({ ...server, username: name, password });
  try {
    return await work(client);
  } finally {
    await client.close();
    await ch.client.command({ query: `DROP USER IF EXISTS ${name}` });
    await ch.client.command({ query: `DROP ROLE IF EXISTS ${roleName(role, ch.database)}` });
  }
}

/** `GRANT a, b ON x TO u` lines as a sorted list of `a ON x`: ClickHouse merges and reorders them. */
function privilegePairs(grants: readonly string[]): string {
  const pairs = grants.flatMap((line) => {
    const match = /^GRANT (.+) ON (\S+) TO \S+$/.exec(line);
    if (!match) return [line];
    const [, privileges = '', target = ''] = match;
    return privileges.split(', ').map((privilege) => `${privilege} ON ${target}`);
  });
  return JSON.stringify(pairs.sort());
}
