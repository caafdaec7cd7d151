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

/**
 * The typed queries are small reads whose parameters change with every minute. ClickHouse
 * compiles an expression to machine code once it has met it three times, parameters included,
 * and that compilation (tens of milliseconds, up to about a hundred) lands on the fourth
 * answer; reads this small gain nothing from it back.
 */
const READ_SETTINGS = { compile_expressions: 0, compile_aggregate_expressions: 0 } as const;

export async function select<T>(
  store: Store,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await store.client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  return result.json<T>();
}

/** ClickHouse DateTime64(3) text (UTC) for a JS date: what `{x:DateTime64(3)}` parameters take. */
export function chTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Which changes a query reads: one language ('' for the multilingual wikis), optionally one
 * wiki of it, or every wiki (`language: null`).
 */
export interface Scope {
  language: string | null;
  wiki?: string;
}

/** The filter a scope puts on `changes` and `daily_counts`; its values come from `scopeParams`. */
export const SCOPE_FILTER = `({all:Bool} OR language = {language:String})
       AND ({wiki:String} = '' OR wiki = {wiki:String})`;

export function scopeParams(scope: Scope): { all: boolean; language: string; wiki: string } {
  return { all: scope.language === null, language: scope.language ?? '', wiki: scope.wiki ?? '' };
}
