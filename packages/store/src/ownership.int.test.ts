import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestClickHouse, uniqueName, type TestClickHouse } from '@wikipulse/testing/vitest';
import type { RecentChange } from '@wikipulse/events';
import {
  OwnershipError,
  assertOwnedBy,
  inspectDatabase,
  topicOwner,
  transferDatabase,
} from './ownership.js';
import { toChangeRow } from './rows.js';
import { MIGRATIONS, SCHEMA_VERSION, dropDatabase, migrate } from './schema.js';
import { gateOnSchema, schemaState, type SchemaState } from './schema-state.js';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

const DAY_MS = 86_400_000;

function changeDaysAgo(days: number, n: number): RecentChange {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id,
      dt: new Date(Date.now() - days * DAY_MS).toISOString(),
      stream: 'mediawiki.recentchange',
      domain: 'en.wikipedia.org',
    },
    type: 'edit',
    wiki: 'enwiki',
    server_name: 'en.wikipedia.org',
    title: `Page ${n}`,
    bot: false,
  };
}

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

async function comment(database: string): Promise<string | undefined> {
  const [row] = await rows<{ comment: string }>(
    'SELECT comment FROM system.databases WHERE name = {db:String}',
    { db: database },
  );
  return row?.comment;
}

async function storedChanges(database: string): Promise<number> {
  const [row] = await rows<{ n: number }>(`SELECT count() AS n FROM ${database}.changes FINAL`);
  return Number(row?.n);
}

/** A database of its own for each test, dropped whatever its owner. */
function freshDatabase(): string {
  return uniqueName('owned');
}

describe('database ownership', () => {
  it('is written as the database comment when the migrations create it', async () => {
    const database = freshDatabase();
    const report = await migrate(ch.client, {
      database,
      retentionDays: 30,
      owner: 'wiki/en',
      topic: 'changes.en',
    });
    expect(report.createdDatabase).toBe(true);
    expect(await comment(database)).toBe('wikipulse owner=wiki/en topic=changes.en');
    expect(await inspectDatabase(ch.client, database)).toEqual({
      kind: 'owned',
      ownership: { owner: 'wiki/en', topic: 'changes.en' },
    });
    expect(await topicOwner(ch.client, 'changes.en')).toEqual({ owner: 'wiki/en', database });
    expect(await topicOwner(ch.client, 'changes.fr')).toBeUndefined();
    // The owner migrating again without naming the topic keeps the record.
    await migrate(ch.client, { database, retentionDays: 30, owner: 'wiki/en' });
    expect(await comment(database)).toBe('wikipulse owner=wiki/en topic=changes.en');
    await dropDatabase(ch.client, database);
  });

  it('refuses a migration by another owner and leaves the retention and rows as they are', async () => {
    const database = freshDatabase();
    await migrate(ch.client, { database, retentionDays: 30, owner: 'wiki/en' });
    const ages = [2, 5, 10, 20];
    await ch.client.insert({
      table: `${database}.changes`,
      values: ages.map((days, i) => toChangeRow(changeDaysAgo(days, i + 1))),
      format: 'JSONEachRow',
    });
    expect(await storedChanges(database)).toBe(4);

    const refused: unknown = await migrate(ch.client, {
      database,
      retentionDays: 3,
      owner: 'wiki/de',
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OwnershipError);
    expect(refused).toMatchObject({
      reason: 'OwnedByAnother',
      owner: 'wiki/en',
      message: `database ${database} is owned by wiki/en, not wiki/de; it is left unchanged`,
    });
    await ch.client.command({ query: `OPTIMIZE TABLE ${database}.changes FINAL` });
    expect(await storedChanges(database)).toBe(4);
    const [table] = await rows<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'changes'`,
      { db: database },
    );
    expect(table?.engine_full).toContain('toIntervalDay(30)');
    expect(await comment(database)).toBe('wikipulse owner=wiki/en');

    // The owner itself may shorten the retention: the rows past 3 days go.
    await migrate(ch.client, { database, retentionDays: 3, owner: 'wiki/en' });
    await ch.client.command({ query: `OPTIMIZE TABLE ${database}.changes FINAL` });
    expect(await storedChanges(database)).toBe(1);
    await dropDatabase(ch.client, database);
  });

  it('adopts an empty database without a comment, refuses one holding Wikipulse tables unless told to', async () => {
    const blank = freshDatabase();
    await ch.client.command({ query: `CREATE DATABASE ${blank}` });
    const adopted = await migrate(ch.client, {
      database: blank,
      retentionDays: 30,
      owner: 'release/wiki/wikipulse',
    });
    expect(adopted.createdDatabase).toBe(false);
    expect(await comment(blank)).toBe('wikipulse owner=release/wiki/wikipulse');

    // A database written before ownership was recorded: Wikipulse tables, no owner.
    const old = freshDatabase();
    await migrate(ch.client, { database: old, retentionDays: 30, owner: 'local' });
    await ch.client.command({ query: `ALTER DATABASE ${old} MODIFY COMMENT ''` });
    await expect(
      migrate(ch.client, { database: old, retentionDays: 3, owner: 'wiki/en' }),
    ).rejects.toMatchObject({
      reason: 'NotOwned',
      message: expect.stringContaining(
        `database ${old} has no Wikipulse owner and holds Wikipulse tables`,
      ),
    });
    const taken = await migrate(ch.client, {
      database: old,
      retentionDays: 30,
      owner: 'wiki/en',
      adoptUnowned: true,
    });
    expect(taken).toMatchObject({ createdDatabase: false, applied: [] });
    expect(await comment(old)).toBe('wikipulse owner=wiki/en');

    // Somebody else's database, described by its own comment, is not taken without being told.
    const foreign = freshDatabase();
    await ch.client.command({ query: `CREATE DATABASE ${foreign} COMMENT 'billing'` });
    await expect(
      migrate(ch.client, { database: foreign, retentionDays: 30, owner: 'wiki/en' }),
    ).rejects.toMatchObject({ reason: 'NotOwned' });
    expect(await comment(foreign)).toBe('billing');
    for (const db of [blank, old, foreign]) await dropDatabase(ch.client, db);
  });

  it('is handed over only by its owner, and checked before a drop', async () => {
    const database = freshDatabase();
    await migrate(ch.client, { database, retentionDays: 30, owner: 'wiki/en', topic: 'changes.x' });
    await expect(
      transferDatabase(ch.client, database, 'wiki/de', { owner: 'wiki/fr' }),
    ).rejects.toMatchObject({ reason: 'OwnedByAnother', owner: 'wiki/en' });
    const heir = { owner: 'wiki/en2', topic: 'changes.y' };
    expect(await transferDatabase(ch.client, database, 'wiki/en', heir)).toBe(true);
    expect(await comment(database)).toBe('wikipulse owner=wiki/en2 topic=changes.y');
    expect(await topicOwner(ch.client, 'changes.x')).toBeUndefined();
    await expect(assertOwnedBy(ch.client, database, 'wiki/en')).rejects.toMatchObject({
      reason: 'OwnedByAnother',
      owner: 'wiki/en2',
    });
    expect(await assertOwnedBy(ch.client, database, 'wiki/en2')).toBe('owned');
    await dropDatabase(ch.client, database);
    expect(await assertOwnedBy(ch.client, database, 'wiki/en2')).toBe('missing');
  });

  it('refuses owners and topics that could break out of the comment', async () => {
    const database = freshDatabase();
    await expect(
      migrate(ch.client, { database, retentionDays: 30, owner: "x' DROP" }),
    ).rejects.toThrow(/not a Wikipulse owner/);
    await expect(
      migrate(ch.client, { database, retentionDays: 30, owner: 'local', topic: "t'" }),
    ).rejects.toThrow(/not a Kafka topic name/);
    expect(await inspectDatabase(ch.client, database)).toEqual({ kind: 'missing' });
  });
});

describe('schema state', () => {
  it('says what is missing until the migrations are applied, without changing anything', async () => {
    const database = freshDatabase();
    expect(await schemaState(ch.client, database)).toEqual({
      ready: false,
      reason: `database ${database} does not exist: migrations not applied`,
    });
    await ch.client.command({ query: `CREATE DATABASE ${database}` });
    expect(await schemaState(ch.client, database)).toEqual({
      ready: false,
      reason: `database ${database} has no schema_migrations: migrations not applied`,
    });
    expect(await inspectDatabase(ch.client, database)).toMatchObject({ kind: 'unowned' });

    const states: SchemaState[] = [];
    const lines: string[] = [];
    const log = {
      info: (_: object, message: string) => lines.push(message),
      warn: (_: object, message: string) => lines.push(message),
    };
    const gate = gateOnSchema({ client: ch.client, database, intervalMs: 50, log });
    await new Promise((resolve) => setTimeout(resolve, 300));
    states.push(gate.state());
    expect(lines).toEqual(['schema not there yet; not ready, checking again']);

    await migrate(ch.client, { database, retentionDays: 30, owner: 'local' });
    expect(await gate.ready).toBe(true);
    states.push(gate.state());
    expect(states).toEqual([
      {
        ready: false,
        reason: `database ${database} has no schema_migrations: migrations not applied`,
      },
      { ready: true },
    ]);
    // One line per reason: a check during the migration may see it half way, a reason of its own.
    expect(lines.at(-1)).toBe('schema ready');
    expect(new Set(lines.slice(0, -1))).toEqual(
      new Set(['schema not there yet; not ready, checking again']),
    );
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)?.version);
    await dropDatabase(ch.client, database);
  });

  it('names the migrations a database lacks', async () => {
    const database = freshDatabase();
    await migrate(ch.client, { database, retentionDays: 30, owner: 'local' });
    await ch.client.command({
      query: `DELETE FROM ${database}.schema_migrations WHERE version >= 3`,
    });
    expect(await schemaState(ch.client, database)).toEqual({
      ready: false,
      reason: `database ${database} needs schema version ${SCHEMA_VERSION}; migrations ${MIGRATIONS.filter(
        (m) => m.version >= 3,
      )
        .map((m) => m.version)
        .join(', ')} not applied`,
    });
    expect(await schemaState(ch.client, database, 2)).toEqual({ ready: true });
    await dropDatabase(ch.client, database);
  });
});
