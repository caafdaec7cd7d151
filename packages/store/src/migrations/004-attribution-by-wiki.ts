import { reattributeChanges } from './reattribute.js';
import type { Migration } from './types.js';

/**
 * Changes stored while the host (`server_name`) decided the language before the database name
 * (`wiki`): an account created through auth.wikimedia.org for enwiki was stored and counted
 * with no language. This moves such rows, and their daily counts, to their wiki's language.
 */
export const attributionByWiki: Migration = {
  version: 4,
  name: 'changes attributed by database name',
  statements: () => [],
  apply: async (client, { database }) => {
    await reattributeChanges(client, database);
  },
};
