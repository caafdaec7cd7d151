import { createRequire } from 'node:module';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { drainPending } from 'chdb';
import type { createChdbConnection } from 'chdb/connection';

export type { ClickHouseClient };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Where ClickHouse lives: a server over HTTP(S), or the engine embedded in this process. */
export type ClickHouseTarget =
  | {
      kind: 'server';
      url: string;
      username?: string;
      password?: string;
      /**
       * PEM text. `ca` replaces the system's trusted certificates; `cert` and `key` (together)
       * are the client's certificate, which ClickHouse can accept as the user's credential.
       */
      tls?: { ca: string; cert?: string; key?: string };
    }
  | { kind: 'embedded'; path: string };

/**
 * Settings whose defaults differ across ClickHouse versions or between the server and the
 * embedded engine, pinned so the same queries return the same shapes everywhere.
 */
export const CLICKHOUSE_SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
  date_time_output_format: 'iso',
} as const;

/**
 * Opens a `@clickhouse/client` on either target. The embedded engine (chdb) allows one data
 * path per process at a time; it is an optional dependency (about 540 MB), loaded only here,
 * so a deployment that sets `CLICKHOUSE_URL` runs without it.
 */
export function openClickHouse(target: ClickHouseTarget): ClickHouseClient {
  if (target.kind === 'server') {
    return createClient({
      url: target.url,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls !== undefined ? { tls: clientTls(target.tls) } : {}),
      clickhouse_settings: CLICKHOUSE_SETTINGS,
    });
  }
  const chdb = loadChdb();
  // chdb implements the same Connection contract against its own copy of
  // @clickhouse/client-common, so the two declarations differ only in name.
  const connection = chdb.connect({
    path: target.path,
  }) as unknown as ClientConnection;
  const closeConnection = connection.close.bind(connection);
  // chdb's close returns while a query still runs on a libuv thread and destroys the native
  // connection only after it; a process that exits in between has the engine torn down under
  // the running query (a segmentation fault at exit). Closing resolves once it is destroyed.
  connection.close = async () => {
    await closeConnection();
    await chdb.drainPending();
  };
  return createClient({ connection, clickhouse_settings: CLICKHOUSE_SETTINGS });
}

/** `@clickhouse/client` takes PEM as buffers, and a client certificate only with its key. */
function clientTls(tls: { ca: string; cert?: string; key?: string }) {
  const ca_cert = Buffer.from(tls.ca);
  if (tls.cert === undefined && tls.key === undefined) return { ca_cert };
  if (tls.cert === undefined || tls.key === undefined) {
    throw new Error('ClickHouse TLS: a client certificate and its key go together');
  }
  return { ca_cert, cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) };
}

/**
 * Loads the embedded engine on first use. `require` rather than `import()` keeps
 * `openClickHouse` synchronous for its callers; chdb ships a CommonJS build of this entry point.
 */
function loadChdb(): { connect: typeof createChdbConnection; drainPending: typeof drainPending } {
  const require = createRequire(import.meta.url);
  try {
    return {
      connect: (require('chdb/connection') as { createChdbConnection: typeof createChdbConnection })
        .createChdbConnection,
      drainPending: (require('chdb') as { drainPending: typeof drainPending }).drainPending,
    };
  } catch (error) {
    if (isMissing(error, 'chdb')) {
      throw new Error(
        'The embedded ClickHouse engine is not installed: install chdb (npm install chdb) or set CLICKHOUSE_URL to a ClickHouse server',
        { cause: error },
      );
    }
    throw error;
  }
}

function isMissing(error: unknown, pkg: string): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
    error.message.includes(`'${pkg}`)
  );
}
