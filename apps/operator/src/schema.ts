import { migrate, type ClickHouseClient, type SchemaOptions } from '@wikipulse/store';
import type { Schema } from './reconciler.js';

/** Runs the store's migrations for each stream's database over one ClickHouse connection. */
export function clickHouseSchema(client: ClickHouseClient): Schema {
  return {
    async migrate(options: SchemaOptions) {
      await migrate(client, options);
    },
  };
}
