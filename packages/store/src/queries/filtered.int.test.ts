import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matches, parseEvent, parseFilterWords, type RecentChange } from '@wikipulse/events';
import { takeFreshEvents } from '@wikipulse/testing';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { toChangeRow } from '../rows.js';
import { migrate } from '../schema.js';
import { filteredChanges, type Store } from './index.js';

/**
 * A feed's filter selects the same stored changes as the live matcher delivers: every filter
 * below is parsed as `!feed add` parses it, run as SQL over the embedded engine, and compared
 * with `matches()` over the same events.
 */
let ch: TestClickHouse;
let store: Store;
let events: RecentChange[];

const parse = (raw: Record<string, unknown>): RecentChange => {
  const parsed = parseEvent(JSON.stringify(raw));
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.event;
};
const filter = (words: string) => {
  const result = parseFilterWords(words === '' ? [] : words.split(' '));
  if (!result.ok) throw new Error(result.error);
  return result.filter;
};

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
  const start = Date.UTC(2026, 10, 21, 12, 0, 0);
  const recorded = takeFreshEvents(124, { startMs: start, stepMs: 1000 });
  // German titles holding LIKE's own wildcards and escape character, which must stay literal.
  const crafted = ['50% Rabatt', '50 Prozent Rabatt', 'C:\\Pfad'].map((title, i) => ({
    ...takeFreshEvents(1, { startMs: start + 200_000 + i * 1000 })[0]!,
    wiki: 'dewiki',
    server_name: 'de.wikipedia.org',
    server_url: 'https://de.wikipedia.org',
    title,
  }));
  // A log entry: no size, namespace -1, a log type.
  const deletion = {
    ...takeFreshEvents(1, { startMs: start + 300_000 })[0]!,
    type: 'log',
    namespace: -1,
    title: 'Gelöschte Seite',
    log_type: 'delete',
    log_action: 'delete',
    length: undefined,
    revision: undefined,
  };
  events = [...recorded, ...crafted, deletion].map(parse);
  const rows = events.map(toChangeRow);
  // The last rows twice, as a redelivered batch: each change is still listed once.
  for (const values of [rows, rows.slice(-30)]) {
    await ch.client.insert({ table: `${ch.database}.changes`, values, format: 'JSONEachRow' });
  }
});
afterAll(async () => {
  await ch.close();
});

const newestFirst = (list: RecentChange[]) =>
  [...list].sort((a, b) => b.meta.dt.localeCompare(a.meta.dt)).map((e) => e.meta.id);

describe('filteredChanges', () => {
  it('selects exactly the changes the live matcher delivers, newest first', async () => {
    const filters = [
      '',
      'lang:en',
      'lang:en ns:0 bots:hide',
      'lang:multi',
      'lang:commons ns:6',
      'wiki:idwiki',
      'wiki:dewiki',
      'type:new',
      'type:categorize,log',
      'log:delete',
      'bots:only',
      'minor:only',
      'ns:0,2 bots:hide minor:only',
      'anon:only',
      'anon:hide lang:en minor:hide',
      'size:500',
      'user:HsfBot',
      'user:The_History_Wizard_of_Cambridge',
      'title:Li',
      'title:File:*.jpg',
      'title:Kategori:*2026',
      'title:50%',
      'title:50*Rabatt',
      'title:C:\\*',
    ];
    for (const words of filters) {
      const expected = newestFirst(events.filter((e) => matches(filter(words), e))).slice(0, 100);
      // Every filter here matches something, so no comparison is of two empty lists.
      expect(expected.length, words).toBeGreaterThan(0);
      const rows = await filteredChanges(store, { filter: filter(words), limit: 100, offset: 0 });
      expect(
        rows.map((r) => r.event_id),
        words,
      ).toEqual(expected);
    }
    const percent = await filteredChanges(store, {
      filter: filter('title:50%'),
      limit: 10,
      offset: 0,
    });
    expect(percent.map((r) => r.title)).toEqual(['50% Rabatt']);
  });

  it('pages with offset and refuses spike filters and bad limits', async () => {
    const english = newestFirst(events.filter((e) => matches(filter('lang:en'), e)));
    const page = await filteredChanges(store, { filter: filter('lang:en'), limit: 5, offset: 5 });
    expect(page.map((r) => r.event_id)).toEqual(english.slice(5, 10));
    await expect(
      filteredChanges(store, { filter: { kind: 'spikes' }, limit: 5, offset: 0 }),
    ).rejects.toThrow(/not spikes/);
    await expect(
      filteredChanges(store, { filter: filter('lang:en'), limit: 101, offset: 0 }),
    ).rejects.toThrow(/limit/);
  });
});
