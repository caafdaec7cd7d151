export type { ChangeType, RecentChange, RecentChangeMeta } from './types.js';
export { languageOf, wikiSite, type WikiSite } from './language.js';
export { KNOWN_LANGUAGES, MULTILINGUAL_WIKIS } from './language-codes.js';
export {
  CHANGE_TYPES,
  FILTER_KEYS,
  MAX_NAMESPACES,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_STARS,
  MAX_SIZE,
  MAX_USER_LENGTH,
  SPIKE_THRESHOLD,
  describeFilter,
  feedFilterSchema,
  feedLanguage,
  filterFromOptions,
  filterQuery,
  parseFilterQuery,
  parseFilterWords,
  parseSpikeWords,
  readStoredFilter,
  spikeFilter,
  type Choice,
  type FeedChangeType,
  type FeedFilter,
  type FilterResult,
} from './feed-filter.js';
export { changeFacts, isAnonymous, matches, titleMatches, type ChangeFacts } from './feed-match.js';
export {
  isCanary,
  parseEvent,
  validateEvent,
  type ParseResult,
  type RejectReason,
} from './validate.js';
