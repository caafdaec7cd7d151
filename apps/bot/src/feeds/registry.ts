import { readStoredFilter, type FeedFilter } from '@wikipulse/events';
import type { Logger } from '@wikipulse/logger';
import { activeFeeds, pausedChannels, type Feed, type Store } from '@wikipulse/store';
import { FeedIndex } from './match.js';

export interface LiveFeed {
  feed: Feed;
  filter: FeedFilter;
}

/**
 * The active feeds a worker keeps in memory, reloaded every `refreshMs`: the matcher's index
 * and the delivery's check that a feed is still active when its batch is sent. A feed paused
 * or removed shows within one refresh, and so does a channel Discord refused (`paused_channels`,
 * shared with watches and digests); `forget` drops a channel's feeds at once.
 */
export class FeedRegistry {
  readonly #store: Store;
  readonly #log: Logger;
  #byId = new Map<string, LiveFeed>();
  #index = new FeedIndex([]);
  readonly #forgotten = new Set<string>();
  #refreshedAt = 0;

  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /**
   * Reloads unless it did within `ms`: a delivery that meets a feed it does not know (added
   * since its last refresh, while another worker's matcher already knew it) looks once more.
   */
  async refreshIfOlderThan(ms: number): Promise<void> {
    if (Date.now() - this.#refreshedAt >= ms) await this.refresh();
  }

  async refresh(): Promise<void> {
    this.#refreshedAt = Date.now();
    const byId = new Map<string, LiveFeed>();
    const [feeds, paused] = await Promise.all([
      activeFeeds(this.#store),
      pausedChannels(this.#store),
    ]);
    const refused = new Set(paused.map((p) => p.channel_id));
    for (const feed of feeds) {
      if (refused.has(feed.channel_id)) continue;
      const filter = readStoredFilter(feed.filter);
      if (filter === undefined) {
        this.#log.warn(
          { feedId: feed.feed_id },
          'skipping a feed whose stored filter is not valid',
        );
        continue;
      }
      byId.set(feed.feed_id, { feed, filter });
    }
    this.#forgotten.clear();
    this.#byId = byId;
    this.#index = new FeedIndex(
      [...byId.values()].map(({ feed, filter }) => ({
        feedId: feed.feed_id,
        channelId: feed.channel_id,
        filter,
      })),
    );
  }

  get index(): FeedIndex {
    return this.#index;
  }

  get(feedId: string): LiveFeed | undefined {
    const live = this.#byId.get(feedId);
    return live === undefined || this.#forgotten.has(live.feed.channel_id) ? undefined : live;
  }

  spikeFeeds(): LiveFeed[] {
    return [...this.#byId.values()].filter(
      (f) => f.filter.kind === 'spikes' && !this.#forgotten.has(f.feed.channel_id),
    );
  }

  /** A channel whose feeds were just paused: stop delivering them before the next refresh. */
  forget(channelId: string): void {
    this.#forgotten.add(channelId);
  }
}
