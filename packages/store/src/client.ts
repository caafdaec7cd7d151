import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

export type { ClickHouseClient };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Where ClickHouse lives: a server over HTTP(S), or the engine embedded in this process. */
export type ClickHouseTarget =
  | { kind: 'server'; url: string; username?: string; password?: string }
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
 * path per process at a time.
 */
export function openClickHouse(target: ClickHouseTarget): ClickHouseClient {
  if (target.kind === 'server') {
    return createClient({
      url: target.url,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      clickhouse_settings: CLICKHOUSE_SETTINGS,
    });
  }
  return createClient({
    // chdb implements the same Connection contract against its own copy of
    // @clickhouse/client-common, so the two declarations differ only in name.
    connection: createChdbConnection({ path: target.path }) as unknown as ClientConnection,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
  });
}

/** `CLICKHOUSE_URL` selects a server (credentials may ride in the URL); otherwise embedded. */
export function clickHouseTargetFromEnv(
  env: { CLICKHOUSE_URL?: string | undefined; CLICKHOUSE_PATH?: string | undefined },
  defaultPath: string,
): ClickHouseTarget {
  if (env.CLICKHOUSE_URL) return { kind: 'server', url: env.CLICKHOUSE_URL };
  return { kind: 'embedded', path: env.CLICKHOUSE_PATH ?? defaultPath };
}
