import { clickHouseTarget } from '@wikipulse/config';
import { migrate, openClickHouse, type Store } from '@wikipulse/store';
import type { BotEnv } from './env.js';

export interface OpenedStore extends Store {
  close(): Promise<void>;
}

/** The ClickHouse the bot reads: CLICKHOUSE_URL, else the embedded engine at CLICKHOUSE_PATH. */
export async function openBotStore(env: BotEnv, forceMigrate = false): Promise<OpenedStore> {
  const target = clickHouseTarget(env, env.CLICKHOUSE_PATH);
  const client = openClickHouse(target);
  // The sink owns the schema of a shared server; a local embedded store has nobody else to.
  if (forceMigrate || env.BOT_MIGRATE || target.kind === 'embedded') {
    await migrate(client, { database: env.CLICKHOUSE_DATABASE, retentionDays: env.RETENTION_DAYS });
  }
  return { client, database: env.CLICKHOUSE_DATABASE, close: () => client.close() };
}
