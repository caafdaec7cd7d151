export type { ChangeType, RecentChange, RecentChangeMeta } from './types.js';
export { languageOf, wikiSite, type WikiSite } from './language.js';
export {
  isCanary,
  parseEvent,
  validateEvent,
  type ParseResult,
  type RejectReason,
} from './validate.js';
