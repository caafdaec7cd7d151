import {
  assertOwnedBy,
  dropDatabase,
  migrate,
  topicOwner,
  transferDatabase,
  type ClickHouseClient,
  type MigrateOptions,
  type Ownership,
} from '@wikipulse/store';
import type { Schema } from './reconciler.js';

/**
 * Runs the store's migrations for each stream's database over one ClickHouse connection, as
 * that stream (`<namespace>/<name>`, written on the database as its owner comment).
 */
export function clickHouseSchema(client: ClickHouseClient): Schema {
  return {
    async migrate(options: MigrateOptions) {
      const report = await migrate(client, options);
      return { createdDatabase: report.createdDatabase };
    },
    async topicOwner(topic: string) {
      return (await topicOwner(client, topic))?.owner;
    },
    async transferDatabase(database: string, from: string, to: Ownership) {
      await transferDatabase(client, database, from, to);
    },
    async dropDatabase(database: string, owner: string) {
      if ((await assertOwnedBy(client, database, owner)) === 'missing') return;
      await dropDatabase(client, database);
    },
  };
}
