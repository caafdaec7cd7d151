import { languageOf, type RecentChange } from '@wikipulse/events';
import type { FeedFilter } from './filter.js';

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

/** Whether one change passes every part of a change feed's filter. */
export function matches(filter: FeedFilter, event: RecentChange): boolean {
  if (filter.kind !== 'changes') return false;
  if (filter.wiki !== undefined && event.wiki !== filter.wiki) return false;
  if (filter.language !== undefined && (languageOf(event) ?? '') !== filter.language) return false;
  if (filter.types && !(filter.types as readonly string[]).includes(event.type ?? '')) return false;
  if (filter.namespaces && !filter.namespaces.includes(event.namespace ?? Number.NaN)) return false;
  if (!choose(filter.bots, event.bot === true)) return false;
  if (!choose(filter.minor, event.minor === true)) return false;
  if (!choose(filter.anon, isAnonymous(event.user ?? ''))) return false;
  if (filter.minSize !== undefined) {
    const { old: before, new: after } = event.length ?? {};
    if (typeof after !== 'number') return false;
    if (Math.abs(after - (before ?? 0)) < filter.minSize) return false;
  }
  if (filter.user !== undefined && (event.user ?? '').replace(/_/g, ' ') !== filter.user)
    return false;
  if (
    filter.title !== undefined &&
    !titleMatches(filter.title, (event.title ?? '').replace(/_/g, ' '))
  )
    return false;
  if (filter.logType !== undefined && event.log_type !== filter.logType) return false;
  return true;
}

export interface IndexedFeed {
  feedId: string;
  channelId: string;
  filter: FeedFilter;
}

/**
 * Every change feed, indexed by what narrows it most cheaply: its wiki, else its language,
 * else nothing. An event is checked only against the feeds of its own wiki and language and
 * the feeds that name neither, so the cost per event follows the feeds that could match, not
 * all feeds.
 */
export class FeedIndex {
  readonly #byWiki = new Map<string, IndexedFeed[]>();
  readonly #byLanguage = new Map<string, IndexedFeed[]>();
  readonly #rest: IndexedFeed[] = [];
  readonly size: number;

  constructor(feeds: readonly IndexedFeed[]) {
    let size = 0;
    for (const feed of feeds) {
      if (feed.filter.kind !== 'changes') continue;
      size += 1;
      if (feed.filter.wiki !== undefined) push(this.#byWiki, feed.filter.wiki, feed);
      else if (feed.filter.language !== undefined)
        push(this.#byLanguage, feed.filter.language, feed);
      else this.#rest.push(feed);
    }
    this.size = size;
  }

  /** The feeds a change matches. */
  match(event: RecentChange): IndexedFeed[] {
    const out: IndexedFeed[] = [];
    const check = (feeds: readonly IndexedFeed[] | undefined) => {
      for (const feed of feeds ?? []) if (matches(feed.filter, event)) out.push(feed);
    };
    check(this.#byWiki.get(event.wiki ?? ''));
    check(this.#byLanguage.get(languageOf(event) ?? ''));
    check(this.#rest);
    return out;
  }
}

function push<K>(map: Map<K, IndexedFeed[]>, key: K, feed: IndexedFeed): void {
  const list = map.get(key);
  if (list) list.push(feed);
  else map.set(key, [feed]);
}
