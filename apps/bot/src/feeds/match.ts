import {
  changeFacts,
  matches,
  type ChangeFacts,
  type FeedFilter,
  type RecentChange,
} from '@wikipulse/events';

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
  readonly #byWiki = new Map<string, Bucket>();
  readonly #byLanguage = new Map<string, Bucket>();
  readonly #rest = new Bucket();
  readonly size: number;

  constructor(feeds: readonly IndexedFeed[]) {
    let size = 0;
    for (const feed of feeds) {
      if (feed.filter.kind !== 'changes') continue;
      size += 1;
      const { wiki, language } = feed.filter;
      if (wiki !== undefined) bucket(this.#byWiki, wiki).add(feed);
      else if (language !== undefined) bucket(this.#byLanguage, language).add(feed);
      else this.#rest.add(feed);
    }
    this.size = size;
  }

  /** The feeds a change matches. */
  match(event: RecentChange): IndexedFeed[] {
    const facts = changeFacts(event);
    const out: IndexedFeed[] = [];
    this.#byWiki.get(event.wiki ?? '')?.match(facts, out);
    this.#byLanguage.get(facts.language)?.match(facts, out);
    this.#rest.match(facts, out);
    return out;
  }
}

/**
 * The feeds of one wiki or language, those whose title filter starts with a fixed character
 * kept apart by that character: a change is checked only against the feeds that could take
 * its title.
 */
class Bucket {
  readonly #byInitial = new Map<string, IndexedFeed[]>();
  readonly #others: IndexedFeed[] = [];

  add(feed: IndexedFeed): void {
    const initial = feed.filter.title?.[0];
    if (initial === undefined || initial === '*') this.#others.push(feed);
    else {
      const list = this.#byInitial.get(initial);
      if (list) list.push(feed);
      else this.#byInitial.set(initial, [feed]);
    }
  }

  match(facts: ChangeFacts, out: IndexedFeed[]): void {
    for (const feed of this.#byInitial.get(facts.title[0] ?? '') ?? []) {
      if (matches(feed.filter, facts)) out.push(feed);
    }
    for (const feed of this.#others) if (matches(feed.filter, facts)) out.push(feed);
  }
}

function bucket(map: Map<string, Bucket>, key: string): Bucket {
  let found = map.get(key);
  if (found === undefined) map.set(key, (found = new Bucket()));
  return found;
}
