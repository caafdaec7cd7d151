import type { FeedFilter } from './feed-filter.js';
import { languageOf } from './language.js';
import type { RecentChange } from './types.js';

/**
 * Whether a title fits a `title:` filter. Without `*` it is a prefix. With `*`, the pattern
 * covers the whole title and `*` stands for any run of characters: the parts between stars are
 * found left to right, each at its first place after the previous one, which is always right
 * for `*`-only patterns and never backtracks. Pattern length is bounded (100), so the cost is
 * linear in the title's length; no user text ever becomes a regular expression.
 */
export function titleMatches(pattern: string, title: string): boolean {
  if (!pattern.includes('*')) return title.startsWith(pattern);
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (title.length < first.length + last.length) return false;
  if (!title.startsWith(first) || !title.endsWith(last)) return false;
  let at = first.length;
  const end = title.length - last.length;
  for (const part of parts.slice(1, -1)) {
    if (part === '') continue;
    const found = title.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:]+$/i;

/** An IP editor (logged out) or a temporary account (`~2025-31415-9`), as MediaWiki names them. */
export function isAnonymous(user: string): boolean {
  return user.startsWith('~') || IPV4.test(user) || (user.includes(':') && IPV6.test(user));
}

function choose(wanted: 'hide' | 'only' | undefined, value: boolean): boolean {
  return wanted === undefined || (wanted === 'only') === value;
}

/** What filters look at in a change, worked out once per change, however many feeds look. */
export interface ChangeFacts {
  event: RecentChange;
  /** '' for the multilingual wikis. */
  language: string;
  /** Underscores read as spaces, as titles and user names are typed. */
  title: string;
  user: string;
  anonymous: boolean;
  /** Absolute size change; undefined without a new length (log entries). */
  size: number | undefined;
}

export function changeFacts(event: RecentChange): ChangeFacts {
  const user = (event.user ?? '').replace(/_/g, ' ');
  const { old: before, new: after } = event.length ?? {};
  return {
    event,
    language: languageOf(event) ?? '',
    title: (event.title ?? '').replace(/_/g, ' '),
    user,
    anonymous: isAnonymous(user),
    size: typeof after === 'number' ? Math.abs(after - (before ?? 0)) : undefined,
  };
}

/** Whether one change passes every part of a change feed's filter. */
export function matches(filter: FeedFilter, change: RecentChange | ChangeFacts): boolean {
  const facts = 'meta' in change ? changeFacts(change) : change;
  const { event } = facts;
  if (filter.kind !== 'changes') return false;
  if (filter.wiki !== undefined && event.wiki !== filter.wiki) return false;
  if (filter.language !== undefined && facts.language !== filter.language) return false;
  if (filter.types && !(filter.types as readonly string[]).includes(event.type ?? '')) return false;
  if (filter.namespaces && !filter.namespaces.includes(event.namespace ?? Number.NaN)) return false;
  if (!choose(filter.bots, event.bot === true)) return false;
  if (!choose(filter.minor, event.minor === true)) return false;
  if (!choose(filter.anon, facts.anonymous)) return false;
  if (filter.minSize !== undefined && (facts.size === undefined || facts.size < filter.minSize)) {
    return false;
  }
  if (filter.user !== undefined && facts.user !== filter.user) return false;
  if (filter.title !== undefined && !titleMatches(filter.title, facts.title)) return false;
  if (filter.logType !== undefined && event.log_type !== filter.logType) return false;
  return true;
}
