import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from '../schema.js';

/** Where the typed queries run: a client and the Wikipulse database in it. */
export interface Store {
  client: ClickHouseClient;
  database: string;
}

/** The database name, validated once more because it is interpolated into SQL. */
export function db(store: Store): string {
  return assertIdentifier(store.database);
}

export async function select<T>(
  store: Store,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** ClickHouse DateTime64(3) text (UTC) for a JS date: what `{x:DateTime64(3)}` parameters take. */
export function chTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
