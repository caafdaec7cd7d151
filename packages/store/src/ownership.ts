import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from './identifier.js';

/**
 * Who owns a Wikipulse database is written on the database itself, as its comment
 * (`CREATE DATABASE ... COMMENT`, read back from `system.databases.comment`, changed with
 * `ALTER DATABASE ... MODIFY COMMENT`): `wikipulse owner=<owner> topic=<topic>`. Only the owner
 * migrates it, changes its retention or drops it, so a second installation or WikiStream that
 * names the same database is refused instead of silently changing the first one's data.
 *
 * An owner is one of:
 * - `<namespace>/<name>`: a WikiStream (the operator);
 * - `release/<namespace>/<name>`: a Helm release's default pipeline (three parts, so it never
 *   reads as a WikiStream, even in a namespace called `release`);
 * - `local`: the embedded database of `npm start`.
 *
 * The topic the pipeline reads is recorded next to the owner: Kafka refuses topic configs it
 * does not know and keeps no free text on a topic, so the database comment is the one place a
 * pipeline's topic ownership is written, and `topicOwner` reads it from there.
 */

const NAME = '[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?';
const OWNER = new RegExp(`^(?:local|${NAME}/${NAME}|release/${NAME}/${NAME})$`);
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const COMMENT = /^wikipulse owner=(\S+?)(?: topic=(\S+))?$/;

/** The tables the migrations create: a database holding one of them is a Wikipulse database. */
const WIKIPULSE_TABLES = [
  'schema_migrations',
  'changes',
  'daily_counts',
  'daily_counts_mv',
  'language_preferences',
  'watches',
] as const;

export function assertOwner(owner: string): string {
  if (!OWNER.test(owner)) {
    throw new Error(
      `not a Wikipulse owner (local, <namespace>/<stream> or release/<namespace>/<release>): ${JSON.stringify(owner)}`,
    );
  }
  return owner;
}

function assertTopic(topic: string): string {
  if (!TOPIC.test(topic)) throw new Error(`not a Kafka topic name: ${JSON.stringify(topic)}`);
  return topic;
}

export interface Ownership {
  owner: string;
  topic?: string;
}

/** The comment that records an ownership; its parts are validated, so it needs no escaping. */
export function ownerComment({ owner, topic }: Ownership): string {
  const parts = [`wikipulse owner=${assertOwner(owner)}`];
  if (topic !== undefined) parts.push(`topic=${assertTopic(topic)}`);
  return parts.join(' ');
}

/** The ownership a database comment records, or undefined for any other comment. */
export function parseOwnerComment(comment: string): Ownership | undefined {
  const match = COMMENT.exec(comment);
  const owner = match?.[1];
  if (owner === undefined || !OWNER.test(owner)) return undefined;
  const topic = match?.[2];
  return topic !== undefined && TOPIC.test(topic) ? { owner, topic } : { owner };
}

/** What a database name points at, as far as ownership goes. */
export type DatabaseClaim =
  | { kind: 'missing' }
  | { kind: 'owned'; ownership: Ownership }
  /** Exists without a Wikipulse owner comment; `wikipulseTables` lists the migrations' tables in it. */
  | { kind: 'unowned'; comment: string; wikipulseTables: string[] };

export async function inspectDatabase(
  client: ClickHouseClient,
  database: string,
): Promise<DatabaseClaim> {
  const db = assertIdentifier(database);
  const result = await client.query({
    query: 'SELECT comment FROM system.databases WHERE name = {db:String}',
    query_params: { db },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ comment: string }>();
  if (!row) return { kind: 'missing' };
  const ownership = parseOwnerComment(row.comment);
  if (ownership) return { kind: 'owned', ownership };
  const tables = await client.query({
    query:
      'SELECT name FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)} ORDER BY name',
    query_params: { db, names: [...WIKIPULSE_TABLES] },
    format: 'JSONEachRow',
  });
  const wikipulseTables = (await tables.json<{ name: string }>()).map((t) => t.name);
  return { kind: 'unowned', comment: row.comment, wikipulseTables };
}

export type OwnershipRefusal = 'OwnedByAnother' | 'NotOwned';

/** A change refused because the database (or topic) belongs to someone else. */
export class OwnershipError extends Error {
  constructor(
    readonly reason: OwnershipRefusal,
    message: string,
    /** The recorded owner, for `OwnedByAnother`. */
    readonly owner?: string,
  ) {
    super(message);
    this.name = 'OwnershipError';
  }
}

export interface ClaimOptions extends Ownership {
  database: string;
  /**
   * Take over an existing database that has no Wikipulse owner although it holds Wikipulse
   * tables (one written before ownership was recorded). Without it such a database is refused;
   * an unowned database with neither tables of ours nor a comment is taken over anyway.
   */
  adoptUnowned?: boolean;
}

/**
 * Makes sure `owner` owns the database before anything changes it: creates it with the owner
 * comment when missing, takes over an unowned one as `adoptUnowned` allows, and refuses one
 * owned by anybody else with an `OwnershipError`. Resolves to whether this call created it.
 * The claim is read back after every write, so of two owners racing for one name only the one
 * whose comment stands goes on.
 */
export async function claimDatabase(
  client: ClickHouseClient,
  options: ClaimOptions,
): Promise<{ created: boolean }> {
  const db = assertIdentifier(options.database);
  const wanted: Ownership = {
    owner: options.owner,
    ...(options.topic !== undefined ? { topic: options.topic } : {}),
  };
  const comment = ownerComment(wanted);
  const before = await inspectDatabase(client, db);
  let created = false;
  if (before.kind === 'missing') {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db} COMMENT '${comment}'` });
    created = true;
  } else if (before.kind === 'unowned') {
    const blank = before.comment === '' && before.wikipulseTables.length === 0;
    if (!blank && options.adoptUnowned !== true) {
      const holds =
        before.wikipulseTables.length > 0
          ? `holds Wikipulse tables (${before.wikipulseTables.join(', ')})`
          : `carries the comment ${JSON.stringify(before.comment)}`;
      throw new OwnershipError(
        'NotOwned',
        `database ${db} has no Wikipulse owner and ${holds}; adopt it explicitly (npm run migrate with SCHEMA_ADOPT_UNOWNED=true and SCHEMA_OWNER=${options.owner}) or name another database`,
      );
    }
    await alterComment(client, db, comment);
  } else {
    refuseOther(db, before.ownership.owner, options.owner);
    // A run that names no topic (`npm run migrate` without SCHEMA_TOPIC) keeps the recorded one.
    if (options.topic !== undefined && before.ownership.topic !== options.topic) {
      await alterComment(client, db, comment);
    }
    return { created: false };
  }
  const after = await inspectDatabase(client, db);
  if (after.kind !== 'owned') {
    throw new Error(`database ${db}: the owner comment did not stay (${after.kind})`);
  }
  refuseOther(db, after.ownership.owner, options.owner);
  return { created };
}

function refuseOther(db: string, recorded: string, owner: string): void {
  if (recorded === owner) return;
  throw new OwnershipError(
    'OwnedByAnother',
    `database ${db} is owned by ${recorded}, not ${owner}; it is left unchanged`,
    recorded,
  );
}

function alterComment(client: ClickHouseClient, db: string, comment: string) {
  return client.command({ query: `ALTER DATABASE ${db} MODIFY COMMENT '${comment}'` });
}

/**
 * Refuses unless the database is missing or owned by `owner`: the check before a drop. An
 * unowned database is refused too, since nothing says it is this owner's to remove.
 */
export async function assertOwnedBy(
  client: ClickHouseClient,
  database: string,
  owner: string,
): Promise<'missing' | 'owned'> {
  const claim = await inspectDatabase(client, database);
  if (claim.kind === 'missing') return 'missing';
  if (claim.kind === 'unowned') {
    throw new OwnershipError('NotOwned', `database ${database} has no Wikipulse owner`);
  }
  refuseOther(database, claim.ownership.owner, owner);
  return 'owned';
}

/**
 * The owner recorded for a Kafka topic, with the database whose comment records it; undefined
 * when no database names the topic. Reads every database's comment: there are few.
 */
export async function topicOwner(
  client: ClickHouseClient,
  topic: string,
): Promise<{ owner: string; database: string } | undefined> {
  const result = await client.query({
    query: `SELECT name, comment FROM system.databases WHERE startsWith(comment, 'wikipulse owner=') ORDER BY name`,
    format: 'JSONEachRow',
  });
  for (const row of await result.json<{ name: string; comment: string }>()) {
    const ownership = parseOwnerComment(row.comment);
    if (ownership?.topic === assertTopic(topic)) {
      return { owner: ownership.owner, database: row.name };
    }
  }
  return undefined;
}

/**
 * Hands a database from one owner to another (a deleted WikiStream's data kept for the stream
 * that also names it), with the new owner's topic; refused unless `from` owns it. Resolves to
 * false when it does not exist.
 */
export async function transferDatabase(
  client: ClickHouseClient,
  database: string,
  from: string,
  to: Ownership,
): Promise<boolean> {
  const db = assertIdentifier(database);
  const claim = await inspectDatabase(client, db);
  if (claim.kind === 'missing') return false;
  if (claim.kind === 'unowned') {
    throw new OwnershipError('NotOwned', `database ${db} has no Wikipulse owner`);
  }
  refuseOther(db, claim.ownership.owner, from);
  await alterComment(client, db, ownerComment(to));
  return true;
}
