import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import type { RecentChange } from '@wikipulse/events';
import { migrate } from '../schema.js';
import { toChangeRow, type ChangeRow } from '../rows.js';
import { reattributeChanges } from './reattribute.js';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

type Change = ReturnType<typeof change>;

function event({ id, dt, wiki, host, type, bot }: Change): RecentChange {
  const database = wiki === '' ? {} : { wiki };
  const log =
    type === 'log'
      ? { log_type: 'newusers', log_action: 'create', namespace: -1, title: 'Special:Log/newusers' }
      : { namespace: 0, title: 'Page' };
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
      dt,
      stream: 'mediawiki.recentchange',
      domain: host,
    },
    type,
    ...database,
    server_name: host,
    server_url: `https://${host}`,
    user: `User ${id}`,
    bot,
    ...log,
  };
}

/** A row as the sink stored it when the host decided before the database name. */
function storedBefore(change: Change, language: string, project: string): ChangeRow {
  return { ...toChangeRow(event(change)), language, project };
}

const AUTH = 'auth.wikimedia.org';
// Accounts created through the shared login domain, and an edit on a wiki whose code the old
// rule did not accept: the sink stored all four with no language.
const enAccount1 = change(1, '2026-11-20T08:00:00Z', 'enwiki', AUTH, 'log');
const enAccount2 = change(2, '2026-11-21T09:00:00Z', 'enwiki', AUTH, 'log');
const deAccount = change(3, '2026-11-21T10:00:00Z', 'dewiki', AUTH, 'log');
const commonsAccount = change(4, '2026-11-21T11:00:00Z', 'commonswiki', AUTH, 'log');
const classicalChineseEdit = change(
  5,
  '2026-11-21T12:00:00Z',
  'zh_classicalwiki',
  'zh-classical.wikipedia.org',
  'edit',
);
// Changes the old rule already attributed right.
const rightAlready = [
  change(6, '2026-11-20T08:30:00Z', 'enwiki', 'en.wikipedia.org', 'edit'),
  change(7, '2026-11-21T09:30:00Z', 'enwiki', 'en.wikipedia.org', 'edit', true),
  change(8, '2026-11-21T13:00:00Z', 'commonswiki', 'commons.wikimedia.org', 'edit'),
];
// Without a database name the host decides, so one (day, wiki '', language '') count held a
// change that moves and one that stays.
const hostOnlyMoves = change(9, '2026-11-21T14:00:00Z', '', 'zh-classical.wikipedia.org', 'edit');
const hostOnlyStays = change(10, '2026-11-21T15:00:00Z', '', 'commons.wikimedia.org', 'edit');
const everything = [
  enAccount1,
  enAccount2,
  deAccount,
  commonsAccount,
  classicalChineseEdit,
  ...rightAlready,
  hostOnlyMoves,
  hostOnlyStays,
];

function change(id: number, dt: string, wiki: string, host: string, type: string, bot = false) {
  return { id, dt, wiki, host, type, bot };
}

async function rows<T>(query: string): Promise<T[]> {
  const result = await ch.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

interface DailyCount {
  day: string;
  language: string;
  wiki: string;
  type: string;
  bot: boolean;
  n: number;
}

const groupKey = (c: Omit<DailyCount, 'n'>) => [c.day, c.language, c.wiki, c.type, c.bot].join('|');
const byGroup = (a: DailyCount, b: DailyCount) => (groupKey(a) < groupKey(b) ? -1 : 1);

/** Per (day, language, wiki, type, bot): the events the sink of today would count there. */
function expectedCounts(changes: readonly Change[]): DailyCount[] {
  const groups = new Map<string, DailyCount>();
  for (const c of changes) {
    const { language, wiki, type, bot } = toChangeRow(event(c));
    const group = { day: c.dt.slice(0, 10), language, wiki, type, bot, n: 0 };
    const counted = groups.get(groupKey(group)) ?? group;
    counted.n += 1;
    groups.set(groupKey(group), counted);
  }
  return [...groups.values()].sort(byGroup);
}

async function storedState(db: string) {
  const changes = await rows<{ event_id: string; language: string; project: string }>(
    `SELECT event_id, language, project FROM ${db}.changes FINAL ORDER BY event_id`,
  );
  const counts = await rows<DailyCount>(
    `SELECT toString(day) AS day, language, wiki, type, bot, uniqExactMerge(events) AS n
     FROM ${db}.daily_counts
     GROUP BY day, language, wiki, type, bot`,
  );
  return { changes, counts: counts.sort(byGroup) };
}

describe('re-attribution of stored changes', () => {
  it('moves rows and daily counts of old attributions to their wiki, each event counted once', async () => {
    const db = ch.database;
    await migrate(ch.client, { database: db, retentionDays: 3650, owner: 'local' });
    const insert = (values: ChangeRow[]) =>
      ch.client.insert({ table: `${db}.changes`, values, format: 'JSONEachRow' });
    const before = [
      storedBefore(enAccount1, '', 'wikimedia'),
      storedBefore(enAccount2, '', 'wikimedia'),
      storedBefore(deAccount, '', 'wikimedia'),
      storedBefore(commonsAccount, '', 'wikimedia'),
      storedBefore(classicalChineseEdit, '', 'wikipedia'),
      ...rightAlready.map((c) => toChangeRow(event(c))),
      storedBefore(hostOnlyMoves, '', 'wikipedia'),
      toChangeRow(event(hostOnlyStays)),
    ];
    await insert(before);
    await insert(before.slice(0, 2)); // a redelivered batch, before the upgrade
    // The same event again under today's attribution: a copy from a run interrupted half-way,
    // or a redelivery by a sink already upgraded.
    await insert([toChangeRow(event(enAccount2))]);

    const old = await storedState(db);
    const nov21 = (language: string, wiki: string, type: string, n: number) =>
      ({ day: '2026-11-21', language, wiki, type, bot: false, n }) satisfies DailyCount;
    expect(old.counts).toEqual(
      expect.arrayContaining([
        nov21('', 'enwiki', 'log', 1),
        nov21('en', 'enwiki', 'log', 1),
        nov21('', '', 'edit', 2),
      ]),
    );

    // The database as a sink of the previous release left it: migrated up to version 3.
    await ch.client.command({
      query: `ALTER TABLE ${db}.schema_migrations DELETE WHERE version = 4`,
      clickhouse_settings: { mutations_sync: '2' },
    });
    const report = await migrate(ch.client, { database: db, retentionDays: 3650, owner: 'local' });
    expect(report.applied).toEqual([4]);

    const after = await storedState(db);
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    expect(after.changes).toEqual([
      { event_id: id(1), language: 'en', project: 'wikipedia' },
      { event_id: id(2), language: 'en', project: 'wikipedia' },
      { event_id: id(3), language: 'de', project: 'wikipedia' },
      { event_id: id(4), language: '', project: 'commons' },
      { event_id: id(5), language: 'zh-classical', project: 'wikipedia' },
      { event_id: id(6), language: 'en', project: 'wikipedia' },
      { event_id: id(7), language: 'en', project: 'wikipedia' },
      { event_id: id(8), language: '', project: 'commons' },
      { event_id: id(9), language: 'zh-classical', project: 'wikipedia' },
      { event_id: id(10), language: '', project: 'commons' },
    ]);
    expect(after.counts).toEqual(expectedCounts(everything));
    const [totals] = await rows<{ events: number; distinct: number; rows: number }>(
      `SELECT (SELECT sum(n) FROM (SELECT uniqExactMerge(events) AS n FROM ${db}.daily_counts GROUP BY day, language, wiki, type, bot)) AS events,
              (SELECT uniqExact(event_id) FROM ${db}.changes) AS distinct,
              (SELECT count() FROM ${db}.changes FINAL) AS rows`,
    );
    expect(totals).toEqual({
      events: everything.length,
      distinct: everything.length,
      rows: everything.length,
    });

    expect(await reattributeChanges(ch.client, db)).toEqual({ rows: 0, recounted: 0 });
    expect(await storedState(db)).toEqual(after);
  });
});
