import { changes } from './001-changes.js';
import { languagePreferences } from './002-language-preferences.js';
import { watches } from './003-watches.js';
import { attributionByWiki } from './004-attribution-by-wiki.js';
import { pageMinutes } from './005-page-minutes.js';
import { feeds } from './006-feeds.js';
import { digests } from './007-digests.js';
import { pageMinutesByPage } from './008-page-minutes-by-page.js';
import { pageMinutesEditCounts } from './009-page-minutes-edit-counts.js';
import { spikeAlerts } from './010-spike-alerts.js';
import { refusedChannels } from './011-refused-channels.js';
import type { Migration } from './types.js';

export type { Migration, SchemaOptions } from './types.js';

/** Every migration, in version order. A new one gets the next number and its own file. */
export const MIGRATIONS: readonly Migration[] = [
  changes,
  languagePreferences,
  watches,
  attributionByWiki,
  pageMinutes,
  feeds,
  digests,
  pageMinutesByPage,
  pageMinutesEditCounts,
  spikeAlerts,
  refusedChannels,
];
