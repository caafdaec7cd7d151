import type { ClickHouseClient } from '@clickhouse/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertIdentifier } from './identifier.js';
import { MIGRATIONS } from './migrations/index.js';
import { SCHEMA_VERSION } from './schema.js';

/** Whether a database has the schema a reader or writer needs, and if not, why. */
export type SchemaState = { ready: true } | { ready: false; reason: string };

/**
 * Checks, without changing anything, that every migration up to `version` is recorded in the
 * database's `schema_migrations`: what the sink and the bot need before they read or write.
 */
export async function schemaState(
  client: ClickHouseClient,
  database: string,
  version: number = SCHEMA_VERSION,
): Promise<SchemaState> {
  const db = assertIdentifier(database);
  const tables = await client.query({
    query: `SELECT
        (SELECT count() FROM system.databases WHERE name = {db:String}) AS databases,
        (SELECT count() FROM system.tables WHERE database = {db:String} AND name = 'schema_migrations') AS tables`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  const [found] = await tables.json<{ databases: number | string; tables: number | string }>();
  if (Number(found?.databases ?? 0) === 0) {
    return { ready: false, reason: `database ${db} does not exist: migrations not applied` };
  }
  if (Number(found?.tables ?? 0) === 0) {
    return {
      ready: false,
      reason: `database ${db} has no schema_migrations: migrations not applied`,
    };
  }
  const done = await client.query({
    query: `SELECT DISTINCT version FROM ${db}.schema_migrations`,
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => r.version));
  const missing = MIGRATIONS.filter((m) => m.version <= version && !applied.has(m.version));
  if (missing.length === 0) return { ready: true };
  return {
    ready: false,
    reason: `database ${db} needs schema version ${version}; migrations ${missing.map((m) => m.version).join(', ')} not applied`,
  };
}

export interface WaitForSchemaOptions {
  client: ClickHouseClient;
  database: string;
  version?: number;
  /** Between checks while the schema is not there. */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called with the first state and each time it changes (an unreachable ClickHouse included). */
  onState: (state: SchemaState) => void;
}

/**
 * Resolves to true once the schema is there, checking again every `intervalMs`; to false when
 * the signal aborts first. A ClickHouse that cannot be reached is one more reason to wait.
 */
export async function waitForSchema(options: WaitForSchemaOptions): Promise<boolean> {
  const { client, database, intervalMs = 5_000, signal, onState } = options;
  let last: string | undefined;
  while (!signal?.aborted) {
    let state: SchemaState;
    try {
      state = await schemaState(client, database, options.version);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      state = { ready: false, reason: `could not check the schema: ${message}` };
    }
    const key = state.ready ? '' : state.reason;
    if (key !== last) onState(state);
    last = key;
    if (state.ready) return true;
    await sleep(intervalMs, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
  return false;
}

/** The log lines a schema gate writes (a pino logger fits). */
export interface SchemaLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface SchemaGate {
  /** The last check's answer, for `/readyz`. */
  state(): SchemaState;
  /** Resolves to true once the schema is there, to false when the signal aborted first. */
  ready: Promise<boolean>;
}

/**
 * For a process that reads or writes a database it does not migrate (the sink, the bot): checks
 * until the schema it needs is there, keeping the answer for `/readyz` and logging one line per
 * reason it is not (and one when it is).
 */
export function gateOnSchema(
  options: Omit<WaitForSchemaOptions, 'onState'> & { log: SchemaLog },
): SchemaGate {
  const { log, ...wait } = options;
  const version = wait.version ?? SCHEMA_VERSION;
  let state: SchemaState = { ready: false, reason: 'schema not checked yet' };
  const ready = waitForSchema({
    ...wait,
    onState: (next) => {
      state = next;
      if (next.ready) log.info({ database: wait.database, version }, 'schema ready');
      else
        log.warn(
          { database: wait.database, reason: next.reason },
          'schema not there yet; not ready, checking again',
        );
    },
  });
  return { state: () => state, ready };
}
