import { clickHouseTarget } from '@wikipulse/config';
import { openClickHouse, type Store } from '@wikipulse/store';
import type { BotEnv } from './env.js';

export interface OpenedStore extends Store {
  close(): Promise<void>;
}

/**
 * The ClickHouse the bot reads: CLICKHOUSE_URL, else the embedded engine at CLICKHOUSE_PATH.
 * The bot runs no DDL; its tables are part of the pipeline's migrations, applied by the
 * database's owner (see `gateOnSchema`).
 */
export function openBotStore(env: BotEnv): OpenedStore {
  const client = openClickHouse(clickHouseTarget(env, env.CLICKHOUSE_PATH));
  return { client, database: env.CLICKHOUSE_DATABASE, close: () => client.close() };
}
