import {
  databaseExists,
  dropDatabase,
  migrate,
  type ClickHouseClient,
  type SchemaOptions,
} from '@wikipulse/store';
import type { Schema } from './reconciler.js';

/** Runs the store's migrations for each stream's database over one ClickHouse connection. */
export function clickHouseSchema(client: ClickHouseClient): Schema {
  return {
    async migrate(options: SchemaOptions) {
      // The operator migrates before it starts the sink, so a database missing here is its own.
      const existed = await databaseExists(client, options.database);
      await migrate(client, options);
      return { createdDatabase: !existed };
    },
    async dropDatabase(database: string) {
      await dropDatabase(client, database);
    },
  };
}
