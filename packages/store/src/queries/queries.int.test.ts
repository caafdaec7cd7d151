import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, type RecentChange } from '@wikipulse/events';
import { takeFreshEvents } from '@wikipulse/testing';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { toChangeRow } from '../rows.js';
import { migrate } from '../schema.js';
import {
  activeDigests,
  activeFeeds,
  channelFeeds,
  activeWatches,
  addWatch,
  channelDigest,
  channelPause,
  channelWatches,
  digestPostState,
  pauseChannel,
  pausedChannels,
  recordDigestPost,
  removeDigest,
  resumeChannel,
  setDigest,
  dailyStats,
  languagePreferences,
  recentChanges,
  removeWatch,
  setLanguagePreference,
  topPages,
  writeFeed,
  type Store,
} from './index.js';

let ch: TestClickHouse;
let store: Store;
let events: RecentChange[];
const start = Date.UTC(2026, 10, 21, 23, 59, 0);

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
  // The bundled recordings: enwiki, idwiki, commonswiki, … two seconds apart across midnight.
  events = takeFreshEvents(124, { startMs: start, stepMs: 2000 }).map((raw) => {
    const parsed = parseEvent(JSON.stringify(raw));
    if (!parsed.ok) throw new Error(parsed.detail);
    return parsed.event;
  });
  const insert = (batch: RecentChange[]) =>
    ch.client.insert({
      table: `${ch.database}.changes`,
      values: batch.map(toChangeRow),
      format: 'JSONEachRow',
    });
  await insert(events);
  await insert(events.slice(-20)); // a redelivered batch
});
afterAll(async () => {
  await ch.close();
});

const ofLanguage = (language: string) =>
  events
    .filter((e) => toChangeRow(e).language === language)
    .sort((a, b) => b.meta.dt.localeCompare(a.meta.dt));

describe('typed queries', () => {
  it('recentChanges: newest first, each event once, with offset and a wiki filter', async () => {
    const english = ofLanguage('en');
    const rows = await recentChanges(store, { language: 'en', limit: 5, offset: 0 });
    expect(rows.map((r) => r.event_id)).toEqual(english.slice(0, 5).map((e) => e.meta.id));
    const page2 = await recentChanges(store, { language: 'en', limit: 5, offset: 5 });
    expect(page2.map((r) => r.event_id)).toEqual(english.slice(5, 10).map((e) => e.meta.id));
    expect(rows[0]).toMatchObject({
      wiki: english[0]!.wiki,
      title: english[0]!.title,
      bot: english[0]!.bot,
    });
    const commons = await recentChanges(store, {
      language: '',
      wiki: 'commonswiki',
      limit: 100,
      offset: 0,
    });
    expect(commons.length).toBe(events.filter((e) => e.wiki === 'commonswiki').length);
    await expect(recentChanges(store, { language: 'en', limit: 101, offset: 0 })).rejects.toThrow(
      /limit/,
    );
  });

  it('dailyStats: exact counts per day from daily_counts, split by type and bots', async () => {
    for (const day of ['2026-11-21', '2026-11-22']) {
      const expected = events.filter(
        (e) => e.meta.dt.startsWith(day) && toChangeRow(e).language === 'id',
      );
      const stats = await dailyStats(store, { day, language: 'id' });
      expect(stats.total).toBe(expected.length);
      expect(stats.bots).toBe(expected.filter((e) => e.bot === true).length);
      expect(stats.humans + stats.bots).toBe(stats.total);
      expect(Object.values(stats.byType).reduce((a, b) => a + b, 0)).toBe(stats.total);
    }
    await expect(dailyStats(store, { day: "2026-11-22' OR 1=1", language: 'en' })).rejects.toThrow(
      /YYYY/,
    );
  });

  it('topPages: most-changed pages of a day, each event counted once', async () => {
    const day = '2026-11-22';
    const counts = new Map<string, number>();
    for (const e of events) {
      if (
        !e.meta.dt.startsWith(day) ||
        toChangeRow(e).language !== 'en' ||
        !['edit', 'new'].includes(e.type ?? '')
      )
        continue;
      const key = `${e.wiki}|${e.title}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = await topPages(store, { day, language: 'en', limit: 3 });
    const best = Math.max(...counts.values());
    expect(top[0]!.edits).toBe(best);
    expect(counts.get(`${top[0]!.wiki}|${top[0]!.title}`)).toBe(best);
  });

  it('language preferences: the newest setting wins, per user and per guild', async () => {
    await setLanguagePreference(store, {
      scope: 'user',
      subjectId: 'u1',
      language: 'de',
      at: new Date(1000),
    });
    await setLanguagePreference(store, {
      scope: 'user',
      subjectId: 'u1',
      language: 'fr',
      at: new Date(2000),
    });
    await setLanguagePreference(store, {
      scope: 'guild',
      subjectId: 'g1',
      language: 'it',
      at: new Date(1000),
    });
    expect(await languagePreferences(store, { userId: 'u1', guildId: 'g1' })).toEqual({
      user: 'fr',
      guild: 'it',
    });
    expect(await languagePreferences(store, { userId: 'u2', guildId: null })).toEqual({});
    expect(await languagePreferences(store, { userId: "u1' OR '1'='1", guildId: null })).toEqual(
      {},
    );
  });

  it('watches: add, list per channel and overall, remove', async () => {
    const base = { channel_id: 'c1', guild_id: 'g1', created_by: 'u1' };
    await addWatch(store, { ...base, wiki: 'dewiki', title: 'Berlin', at: new Date(1000) });
    await addWatch(store, { ...base, wiki: 'enwiki', title: 'Paris', at: new Date(2000) });
    await addWatch(store, {
      ...base,
      channel_id: 'c2',
      wiki: 'dewiki',
      title: 'Berlin',
      at: new Date(3000),
    });
    await removeWatch(store, { ...base, wiki: 'enwiki', title: 'Paris', at: new Date(4000) });
    expect(await channelWatches(store, 'c1')).toEqual([
      { channel_id: 'c1', wiki: 'dewiki', title: 'Berlin', created_by: 'u1' },
    ]);
    expect((await activeWatches(store)).map((w) => w.channel_id).sort()).toEqual(['c1', 'c2']);
  });

  it('digests: one per channel, the newest setting wins, off removes it', async () => {
    const base = { channel_id: 'd1', guild_id: 'g1', created_by: 'u1' };
    await setDigest(store, { ...base, scope: 'de', minute_of_day: 480, at: new Date(1000) });
    await setDigest(store, { ...base, scope: 'all', minute_of_day: 600, at: new Date(2000) });
    await setDigest(store, { ...base, channel_id: 'd2', scope: 'fr', minute_of_day: 0 });
    expect(await channelDigest(store, 'd1')).toEqual({
      channel_id: 'd1',
      guild_id: 'g1',
      scope: 'all',
      minute_of_day: 600,
      updated_at: '1970-01-01 00:00:02.000',
    });
    await removeDigest(store, { ...base, scope: 'all', minute_of_day: 600, at: new Date(3000) });
    expect(await channelDigest(store, 'd1')).toBeUndefined();
    expect((await activeDigests(store)).map((d) => d.channel_id)).toEqual(['d2']);
  });

  it('digest posts: the earliest fresh claim counts, and a post ends it', async () => {
    const key = { channelId: 'd3', day: '2026-11-20' };
    const since = new Date(Date.UTC(2026, 10, 21, 8, 0, 0));
    expect(await digestPostState(store, { ...key, claimsSince: since })).toEqual({ posted: false });
    const claim = (worker: string, second: number) =>
      recordDigestPost(store, {
        ...key,
        state: 'claimed',
        worker,
        at: new Date(since.getTime() + second * 1000),
      });
    // A claim from before `since` belongs to a worker that gave up: it does not count.
    await claim('stale', -60);
    await claim('b', 10);
    await claim('a', 5);
    expect(await digestPostState(store, { ...key, claimsSince: since })).toEqual({
      posted: false,
      claimedBy: 'a',
    });
    await recordDigestPost(store, { ...key, state: 'posted', worker: 'a', at: new Date() });
    expect((await digestPostState(store, { ...key, claimsSince: since })).posted).toBe(true);
    expect(await digestPostState(store, { ...key, day: '2026-11-21', claimsSince: since })).toEqual(
      { posted: false },
    );
  });

  it('paused channels: paused with the status Discord answered, resumed by a newer row', async () => {
    await pauseChannel(store, 'p1', 403, new Date(1000));
    await pauseChannel(store, 'p2', 404, new Date(1000));
    await resumeChannel(store, 'p2', new Date(2000));
    expect(await pausedChannels(store)).toEqual([{ channel_id: 'p1', status: 403 }]);
    expect(await channelPause(store, 'p1')).toEqual({ channel_id: 'p1', status: 403 });
    expect(await channelPause(store, 'p2')).toBeUndefined();
  });

  it('moves the refusals feeds once recorded on themselves to paused_channels', async () => {
    const feed = (feedId: string, channelId: string) => ({
      feed_id: feedId,
      channel_id: channelId,
      guild_id: 'g1',
      created_by: 'u1',
      kind: 'changes',
      filter: '{"kind":"changes","language":"de"}',
      state: 'active' as const,
      reason: '',
      created_at: '2026-12-01 10:00:00.000',
    });
    await writeFeed(store, feed('legacy1', 'r403'), new Date(1000));
    await writeFeed(store, feed('legacy2', 'r404'), new Date(1000));
    await writeFeed(store, feed('legacy3', 'r404'), new Date(1000));
    // As the bot wrote them before migration 11: the state and the reason on the feed itself.
    const legacy = (feedId: string, channelId: string, reason: string) =>
      ch.client.insert({
        table: `${ch.database}.feeds`,
        values: [
          {
            ...feed(feedId, channelId),
            state: 'unreachable',
            reason,
            updated_at: '2026-12-01 11:00:00.000',
          },
        ],
        format: 'JSONEachRow',
      });
    await legacy('legacy1', 'r403', 'the bot may not post in this channel (Discord answered 403)');
    await legacy('legacy2', 'r404', 'the channel was not found (Discord answered 404)');
    await ch.client.command({
      query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 11`,
    });
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    expect(await channelPause(store, 'r403')).toEqual({ channel_id: 'r403', status: 403 });
    expect(await channelPause(store, 'r404')).toEqual({ channel_id: 'r404', status: 404 });
    const states = (await activeFeeds(store))
      .filter((f) => f.feed_id.startsWith('legacy'))
      .map((f) => [f.feed_id, f.state, f.reason, f.created_at]);
    expect(states.sort()).toEqual([
      ['legacy1', 'active', '', '2026-12-01T10:00:00.000Z'],
      ['legacy2', 'active', '', '2026-12-01T10:00:00.000Z'],
      ['legacy3', 'active', '', '2026-12-01T10:00:00.000Z'],
    ]);
    // Run again, it finds nothing left to move.
    await resumeChannel(store, 'r403', new Date());
    await ch.client.command({
      query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 11`,
    });
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    expect(await channelPause(store, 'r403')).toBeUndefined();
    expect((await channelFeeds(store, 'r403')).map((f) => f.state)).toEqual(['active']);
  });
});
