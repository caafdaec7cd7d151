import type { FilterOptions } from '../filters.js';

/** What events are judged against, as the judging thread receives it. */
export interface ClassifierRules extends FilterOptions {
  /** Larger events are dead-lettered, truncated (UTF-8 bytes). */
  maxEventBytes: number;
}
