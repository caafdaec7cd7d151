import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import {
  openTestClickHouse,
  uniqueName,
  withRoleClient,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import type { ClickHouseClient } from './client.js';
import {
  activeDigests,
  activeFeeds,
  activeWatches,
  addWatch,
  changesPerMinute,
  channelFeeds,
  dailyOverview,
  dailyStats,
  digestPostState,
  pauseChannel,
  pausedChannels,
  recordDigestPost,
  setDigest,
  languagePreferences,
  recentChanges,
  setLanguagePreference,
  topPages,
  trendingPages,
  writeFeed,
} from './queries/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { transferDatabase } from './ownership.js';
import { changesRetentionDays } from './retention.js';
import { toChangeRow } from './rows.js';
import { schemaState } from './schema-state.js';
import { usersXml } from './roles.js';
import { databaseExists, dropDatabase, migrate } from './schema.js';

const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

/**
 * Each role's user against the real engine: it does its work and is refused the rest. On the
 * embedded engine `withRoleClient` restarts the engine with the role's users file, so these
 * refusals are ClickHouse's own access checks.
 */

let ch: TestClickHouse;
const DAY = '2026-11-21';

function change(n: number, title: string): RecentChange {
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      dt: `${DAY}T10:00:0${n}Z`,
      stream: 'mediawiki.recentchange',
      domain: 'en.wikipedia.org',
    },
    type: 'edit',
    wiki: 'enwiki',
    server_name: 'en.wikipedia.org',
    server_url: 'https://en.wikipedia.org',
    namespace: 0,
    title,
    user: `User ${n}`,
    bot: false,
  };
}

function insertChanges(client: ClickHouseClient, events: RecentChange[]): Promise<unknown> {
  return client.insert({
    table: `${ch.database}.changes`,
    values: events.map(toChangeRow),
    format: 'JSONEachRow',
  });
}

/** The statement's rejection, for `expect(...).rejects`: ClickHouse's ACCESS_DENIED. */
const DENIED = /ACCESS_DENIED|Not enough privileges/;

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
  await insertChanges(ch.client, [change(1, 'Alpha')]);
});

afterAll(async () => {
  await ch.close();
});

describe('the sink’s user', () => {
  it('inserts changes, which the daily counts follow, and reads what it needs', async () => {
    await withRoleClient(ch, 'sink', async (client) => {
      await insertChanges(client, [change(2, 'Beta'), change(3, 'Beta')]);
      const versions = await rows<{ version: number }>(
        client,
        `SELECT version FROM ${ch.database}.schema_migrations FINAL ORDER BY version`,
      );
      expect(versions.map((v) => v.version)).toEqual(ALL_VERSIONS);
      expect(await changesRetentionDays(client, ch.database)).toBe(3650);
    });
    const stats = await dailyStats(
      { client: ch.client, database: ch.database },
      { day: DAY, language: 'en' },
    );
    expect(stats.total).toBe(3);
  });

  it('cannot drop or alter a table, nor touch the bot’s tables', async () => {
    await withRoleClient(ch, 'sink', async (client) => {
      const db = ch.database;
      await expect(client.command({ query: `DROP TABLE ${db}.changes` })).rejects.toThrow(DENIED);
      await expect(client.command({ query: `TRUNCATE TABLE ${db}.changes` })).rejects.toThrow(
        DENIED,
      );
      await expect(
        client.command({ query: `ALTER TABLE ${db}.changes DELETE WHERE 1` }),
      ).rejects.toThrow(DENIED);
      await expect(rows(client, `SELECT count() FROM ${db}.watches`)).rejects.toThrow(DENIED);
      await expect(
        addWatch(
          { client, database: db },
          { channel_id: '1', wiki: 'enwiki', title: 'Alpha', guild_id: '2', created_by: '3' },
        ),
      ).rejects.toThrow(DENIED);
      await expect(
        client.command({ query: `CREATE DATABASE ${uniqueName('sink_made')}` }),
      ).rejects.toThrow(DENIED);
    });
  });
});

describe('the bot’s user', () => {
  it('answers from changes and daily counts and keeps preferences and watches', async () => {
    await withRoleClient(ch, 'bot', async (client) => {
      const store = { client, database: ch.database };
      const recent = await recentChanges(store, { language: 'en', limit: 10, offset: 0 });
      expect(recent.map((r) => r.title).sort()).toEqual(['Alpha', 'Beta', 'Beta']);
      expect((await dailyStats(store, { day: DAY, language: 'en' })).total).toBe(3);
      const top = await topPages(store, { day: DAY, language: 'en', limit: 1 });
      expect(top[0]?.title).toBe('Beta');
      expect(await trendingPages(store, { language: 'en', now: new Date(), limit: 5 })).toEqual([]);
      expect(await schemaState(client, ch.database)).toMatchObject({ ready: true });
      await setLanguagePreference(store, { scope: 'user', subjectId: '42', language: 'de' });
      expect(await languagePreferences(store, { userId: '42', guildId: null })).toEqual({
        user: 'de',
      });
      const watch = {
        channel_id: '7',
        wiki: 'enwiki',
        title: 'Alpha',
        guild_id: '8',
        created_by: '42',
      };
      await addWatch(store, watch);
      expect(await activeWatches(store)).toEqual([
        { channel_id: '7', wiki: 'enwiki', title: 'Alpha' },
      ]);
      const feed = {
        feed_id: 'abcdefgh',
        channel_id: '7',
        guild_id: '8',
        created_by: '42',
        kind: 'changes',
        filter: '{"kind":"changes","language":"en"}',
        state: 'active' as const,
        reason: '',
        created_at: '2026-12-06 10:00:00.000',
      };
      await writeFeed(store, feed, new Date('2026-12-06T10:00:00Z'));
      await writeFeed(store, { ...feed, state: 'paused' }, new Date('2026-12-06T10:01:00Z'));
      expect(await activeFeeds(store)).toEqual([]);
      expect((await channelFeeds(store, '7')).map((f) => [f.feed_id, f.state])).toEqual([
        ['abcdefgh', 'paused'],
      ]);
    });
  });

  it('keeps daily digests, their posts and paused channels, and reads what a digest shows', async () => {
    await withRoleClient(ch, 'bot', async (client) => {
      const store = { client, database: ch.database };
      const overview = await dailyOverview(store, { day: DAY, language: null });
      expect(overview.stats.total).toBe(3);
      expect(overview.topEditors.length).toBeGreaterThan(0);
      await changesPerMinute(store, { now: new Date(), minutes: 60, languages: 6 });
      await setDigest(store, {
        channel_id: '7',
        guild_id: '8',
        scope: 'en',
        minute_of_day: 480,
        created_by: '42',
      });
      expect((await activeDigests(store)).map((d) => d.scope)).toEqual(['en']);
      const post = { channelId: '7', day: DAY, worker: 'w', at: new Date() };
      await recordDigestPost(store, { ...post, state: 'claimed' });
      await recordDigestPost(store, { ...post, state: 'posted' });
      expect(
        await digestPostState(store, { channelId: '7', day: DAY, claimsSince: new Date(0) }),
      ).toEqual({ posted: true, claimedBy: 'w' });
      await pauseChannel(store, '9', 403);
      expect(await pausedChannels(store)).toEqual([{ channel_id: '9', status: 403 }]);
    });
  });

  it('cannot insert into changes, nor drop or alter anything', async () => {
    await withRoleClient(ch, 'bot', async (client) => {
      const db = ch.database;
      await expect(insertChanges(client, [change(4, 'Forged')])).rejects.toThrow(DENIED);
      await expect(
        client.command({
          query: `INSERT INTO ${db}.daily_counts SELECT * FROM ${db}.daily_counts`,
        }),
      ).rejects.toThrow(DENIED);
      await expect(client.command({ query: `DROP TABLE ${db}.watches` })).rejects.toThrow(DENIED);
      await expect(
        client.command({ query: `ALTER TABLE ${db}.watches DELETE WHERE 1` }),
      ).rejects.toThrow(DENIED);
    });
    const count = await rows<{ n: number }>(
      ch.client,
      `SELECT count() AS n FROM ${ch.database}.changes WHERE title = 'Forged'`,
    );
    expect(count).toEqual([{ n: 0 }]);
  });
});

describe('Grafana’s user', () => {
  it('reads every table of the database', async () => {
    await withRoleClient(ch, 'grafana', async (client) => {
      const perLanguage = await rows<{ language: string; n: number }>(
        client,
        `SELECT language, uniqExactMerge(events) AS n FROM ${ch.database}.daily_counts GROUP BY language`,
      );
      expect(perLanguage).toEqual([{ language: 'en', n: 3 }]);
      const titles = await rows<{ title: string }>(
        client,
        `SELECT DISTINCT title FROM ${ch.database}.changes ORDER BY title`,
      );
      expect(titles.map((t) => t.title)).toEqual(['Alpha', 'Beta']);
    });
  });

  it('cannot drop, insert, alter or create anything', async () => {
    await withRoleClient(ch, 'grafana', async (client) => {
      const db = ch.database;
      for (const query of [
        `DROP DATABASE ${db}`,
        `DROP TABLE ${db}.changes`,
        `TRUNCATE TABLE ${db}.daily_counts`,
        `INSERT INTO ${db}.language_preferences (scope, subject_id, language, updated_at) VALUES ('user', '1', 'en', now64(3))`,
        `ALTER TABLE ${db}.changes DELETE WHERE 1`,
        `ALTER TABLE ${db}.changes MODIFY TTL toDateTime(event_time) + toIntervalDay(1)`,
        `ALTER TABLE ${db}.changes ADD COLUMN extra2 String`,
        `CREATE TABLE ${db}.grafana_made (x UInt8) ENGINE = Memory`,
        `CREATE DATABASE ${uniqueName('grafana_made')}`,
      ]) {
        await expect(client.command({ query }), query).rejects.toThrow(DENIED);
      }
      await expect(
        rows(client, `SELECT * FROM file('/etc/passwd', 'LineAsString')`),
      ).rejects.toThrow(DENIED);
    });
    expect(await databaseExists(ch.client, ch.database)).toBe(true);
  });
});

describe('the operator’s user', () => {
  it('creates, migrates and drops a database of its own', async () => {
    const database = uniqueName('wikipulse_operated');
    await withRoleClient(ch, 'operator', async (client) => {
      const first = await migrate(client, { database, retentionDays: 30, owner: 'local' });
      expect(first).toMatchObject({ applied: ALL_VERSIONS, createdDatabase: true });
      const again = await migrate(client, { database, retentionDays: 7, owner: 'local' });
      expect(again).toEqual({
        applied: [],
        alreadyApplied: ALL_VERSIONS,
        createdDatabase: false,
      });
      expect(await changesRetentionDays(client, database)).toBe(7);
      // A deleted stream hands its database on: the owner written on it changes.
      expect(await transferDatabase(client, database, 'local', { owner: 'wikipulse/heir' })).toBe(
        true,
      );
      expect(await dropDatabase(client, database)).toBe(true);
      expect(await databaseExists(client, database)).toBe(false);
    });
  });

  it('manages no users and reaches nothing outside the databases', async () => {
    await withRoleClient(ch, 'operator', async (client) => {
      await expect(
        client.command({ query: `CREATE USER ${uniqueName('intruder')} IDENTIFIED BY 'x'` }),
      ).rejects.toThrow(DENIED);
      await expect(
        rows(client, `SELECT * FROM file('/etc/passwd', 'LineAsString')`),
      ).rejects.toThrow(DENIED);
      await expect(client.command({ query: 'SYSTEM DROP MARK CACHE' })).rejects.toThrow(DENIED);
    });
  });
});

describe('the test kit', () => {
  it('refuses to run a role’s work with another role’s grants', async () => {
    const grafanaAsDefault = usersXml(
      [{ role: 'grafana', name: 'default', password: 'none' }],
      ch.database,
    );
    await expect(
      withRoleClient(ch, 'bot', () => Promise.resolve(), { usersXml: grafanaAsDefault }),
    ).rejects.toThrow(/not the bot's/);
  });
});
