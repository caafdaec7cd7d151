import { describe, expect, it } from 'vitest';
import { matches, type FeedFilter, type RecentChange } from '@wikipulse/events';
import { FeedIndex } from './match.js';

// Only what the feeds below look at: namespace, bot and minor flags stay unset.
const berlin: RecentChange = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: { id: 'a', dt: '2026-12-06T10:00:00Z', stream: 'mediawiki.recentchange' },
  wiki: 'dewiki',
  server_name: 'de.wikipedia.org',
  type: 'edit',
  title: 'Berliner Mauer',
  length: { old: 100, new: 700 },
  user: 'Alice',
};
const change = (fields: Partial<RecentChange> = {}): RecentChange => ({ ...berlin, ...fields });
const f = (fields: Omit<FeedFilter, 'kind'>): FeedFilter => ({ kind: 'changes', ...fields });

describe('the feed index', () => {
  it('indexes feeds by wiki and language and finds the same feeds as checking them all', () => {
    const feeds = [
      { feedId: 'w', channelId: '1', filter: f({ wiki: 'dewiki' }) },
      { feedId: 'l', channelId: '1', filter: f({ language: 'de', bots: 'hide' }) },
      { feedId: 'e', channelId: '2', filter: f({ language: 'en' }) },
      { feedId: 'a', channelId: '2', filter: f({ minSize: 1000 }) },
      { feedId: 'm', channelId: '3', filter: f({ language: '' }) },
      { feedId: 's', channelId: '3', filter: { kind: 'spikes', language: 'de' } as FeedFilter },
      { feedId: 'tb', channelId: '4', filter: f({ language: 'de', title: 'Berlin' }) },
      { feedId: 'tm', channelId: '4', filter: f({ language: 'de', title: '*Mauer' }) },
      { feedId: 'th', channelId: '4', filter: f({ title: 'Hamburg' }) },
    ];
    const index = new FeedIndex(feeds);
    expect(index.size).toBe(8);
    const events = [
      change(),
      change({ bot: true }),
      change({ wiki: 'enwiki', server_name: 'en.wikipedia.org', length: { old: 0, new: 5000 } }),
      change({ wiki: 'wikidatawiki', server_name: 'www.wikidata.org' }),
    ];
    for (const event of events) {
      const expected = feeds
        .filter((feed) => matches(feed.filter, event))
        .map((x) => x.feedId)
        .sort();
      expect(
        index
          .match(event)
          .map((x) => x.feedId)
          .sort(),
      ).toEqual(expected);
    }
    expect(
      index
        .match(events[0]!)
        .map((x) => x.feedId)
        .sort(),
    ).toEqual(['l', 'tb', 'tm', 'w']);
  });
});
