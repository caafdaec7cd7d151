import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, type RecentChange } from '@wikipulse/events';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { toChangeRow } from '../rows.js';
import { migrate } from '../schema.js';
import { trendingPages, type Store } from './index.js';

let ch: TestClickHouse;
let store: Store;
// Now, not a fixed date: the rollup keeps two days, and older rows are dropped as they arrive.
const now = new Date();
const minutesAgo = (m: number) => now.getTime() - m * 60_000;

function edit(title: string, user: string, atMs: number, wiki = 'dewiki'): RecentChange {
  const raw = {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: randomUUID(),
      dt: new Date(atMs).toISOString(),
      stream: 'mediawiki.recentchange',
      domain: 'de.wikipedia.org',
    },
    type: 'edit',
    namespace: 0,
    title,
    user,
    bot: false,
    wiki,
    server_name: 'de.wikipedia.org',
    server_url: 'https://de.wikipedia.org',
    timestamp: Math.floor(atMs / 1000),
  };
  const parsed = parseEvent(JSON.stringify(raw));
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.event;
}

async function insert(events: RecentChange[]): Promise<void> {
  await ch.client.insert({
    table: `${ch.database}.changes`,
    values: events.map(toChangeRow),
    format: 'JSONEachRow',
  });
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
  const events: RecentChange[] = [];
  // The language's steady background: a page edited every 10 minutes for six hours.
  for (let m = 359; m >= 0; m -= 10) events.push(edit('Hauptseite', `u${m % 3}`, minutesAgo(m)));
  // A burst: quiet for hours, then eight edits by four people in the last quarter hour.
  events.push(edit('Sturmtief', 'early', minutesAgo(300)));
  for (let i = 0; i < 8; i += 1) events.push(edit('Sturmtief', `e${i % 4}`, minutesAgo(14 - i)));
  // Busy all along: three edits a quarter hour, as now; not a burst.
  for (let m = 359; m >= 0; m -= 5) events.push(edit('Dauerbrenner', `d${m % 2}`, minutesAgo(m)));
  // One editor's run of saves: many edits, one person.
  for (let i = 0; i < 10; i += 1) events.push(edit('Entwurf', 'solo', minutesAgo(10 - i)));
  // Another language's burst stays out of German.
  for (let i = 0; i < 6; i += 1) {
    events.push(edit('Storm', `f${i}`, minutesAgo(5), 'frwiki'));
  }
  await insert(events);
  // Redelivered: the burst's copies must not count twice.
  await insert(events.filter((e) => e.title === 'Sturmtief'));
});
afterAll(async () => {
  await ch.close();
});

describe('trendingPages', () => {
  it('finds the page that bursts against its own baseline, once per event, with its editors', async () => {
    const rows = await trendingPages(store, { language: 'de', now, limit: 10 });
    expect(rows.map((r) => r.title)).toEqual(['Sturmtief']);
    // The shown numbers come from the sets; the baseline is a rate's input, and the early
    // edit, stored twice, counts twice there.
    expect(rows[0]).toMatchObject({ wiki: 'dewiki', edits: 8, editors: 4, baselineEdits: 2 });
    expect(rows[0]!.surge).toBeGreaterThan(10);
  });

  it('keeps to the wiki asked for, and is empty when nothing bursts', async () => {
    expect(await trendingPages(store, { language: 'de', wiki: 'frwiki', now, limit: 10 })).toEqual(
      [],
    );
    const later = new Date(now.getTime() + 60 * 60_000);
    expect(await trendingPages(store, { language: 'de', now: later, limit: 10 })).toEqual([]);
  });

  it('keeps the rollup ordered by page equal to the rollup it mirrors', async () => {
    const count = async (table: string) => {
      const result = await ch.client.query({
        query: `SELECT count() AS n, sum(finalizeAggregation(edits)) AS edits
                  FROM (SELECT minute, language, wiki, title, uniqExactMergeState(edits) AS edits
                          FROM ${ch.database}.${table}
                          GROUP BY minute, language, wiki, title)`,
        format: 'JSONEachRow',
      });
      return (await result.json<{ n: number; edits: number }>())[0];
    };
    const byMinute = await count('page_minutes');
    expect(byMinute?.n).toBeGreaterThan(0);
    expect(await count('page_minutes_by_page')).toEqual(byMinute);
  });

  it('copies the rows already rolled up when the rollup ordered by page is made', async () => {
    await ch.client.command({ query: `TRUNCATE TABLE ${ch.database}.page_minutes_by_page` });
    await ch.client.command({
      query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 8`,
    });
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    const rows = await trendingPages(store, { language: 'de', now, limit: 10 });
    expect(rows.map((r) => [r.title, r.edits, r.editors])).toEqual([['Sturmtief', 8, 4]]);
    // The copy counts each copied row's set: one or two, as the two inserts were merged or not.
    expect(rows[0]!.baselineEdits).toBeGreaterThanOrEqual(1);
    expect(rows[0]!.baselineEdits).toBeLessThanOrEqual(2);
  });

  it('gives the rows stored before them their edit counts, equal to their sets', async () => {
    for (const table of ['page_minutes', 'page_minutes_by_page']) {
      await ch.client.command({
        query: `ALTER TABLE ${ch.database}.${table} DROP COLUMN edit_count`,
      });
    }
    await ch.client.command({
      query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 9`,
    });
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    for (const table of ['page_minutes', 'page_minutes_by_page']) {
      const result = await ch.client.query({
        query: `SELECT count() AS rows, countIf(edit_count = finalizeAggregation(edits)) AS equal,
                       sum(edit_count) AS counted
                  FROM ${ch.database}.${table}`,
        format: 'JSONEachRow',
      });
      const [counts] = await result.json<{ rows: number; equal: number; counted: number }>();
      expect(counts!.rows).toBeGreaterThan(0);
      expect(counts!.equal).toBe(counts!.rows);
      expect(counts!.counted).toBeGreaterThan(0);
      // Written into every part, not computed from the sets on each read.
      const parts = await ch.client.query({
        query: `SELECT count() AS parts, countIf(has(columns, 'edit_count')) AS with_count
                  FROM (SELECT name, groupArray(column) AS columns FROM system.parts_columns
                         WHERE database = {database:String} AND table = {table:String} AND active
                         GROUP BY name)`,
        query_params: { database: ch.database, table },
        format: 'JSONEachRow',
      });
      const [p] = await parts.json<{ parts: number; with_count: number }>();
      expect(p!.parts).toBeGreaterThan(0);
      expect(p!.with_count).toBe(p!.parts);
    }
    const rows = await trendingPages(store, { language: 'de', now, limit: 10 });
    expect(rows.map((r) => [r.title, r.edits, r.editors])).toEqual([['Sturmtief', 8, 4]]);
  });

  it('rolls up what was stored before the rollup existed', async () => {
    await ch.client.command({ query: `TRUNCATE TABLE ${ch.database}.page_minutes` });
    await ch.client.command({
      query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 5`,
    });
    expect(await trendingPages(store, { language: 'de', now, limit: 10 })).toEqual([]);
    // A second run of the migration rolls up the last two days again, and copies add nothing.
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    const rows = await trendingPages(store, { language: 'de', now, limit: 10 });
    expect(rows.map((r) => [r.title, r.edits, r.editors])).toEqual([['Sturmtief', 8, 4]]);
  });

  it('refuses limits and windows out of range', async () => {
    await expect(trendingPages(store, { language: 'de', now, limit: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      trendingPages(store, {
        language: 'de',
        now,
        limit: 5,
        windowMinutes: 60,
        baselineMinutes: 30,
      }),
    ).rejects.toThrow(RangeError);
  });
});
