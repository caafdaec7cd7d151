import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { migrate, toChangeRow } from '@wikipulse/store';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { activitySql } from './activity.js';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
});
afterAll(async () => {
  await ch.close();
});

/** What grafana-clickhouse-datasource sends for the variables and time macros the panels use. */
function expand(sql: string, from: string, to: string): string {
  const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  return sql
    .replaceAll('${database}', ch.database)
    .replaceAll('$__fromTime', `toDateTime(${seconds(from)})`)
    .replaceAll('$__toTime', `toDateTime(${seconds(to)})`);
}

async function panel<T>(sql: string, from = '2026-11-20T00:00:00Z', to = '2026-11-21T23:59:59Z') {
  const result = await ch.client.query({ query: expand(sql, from, to), format: 'JSONEachRow' });
  return result.json<T>();
}

let n = 0;
function change(dt: string, wiki: string, type: string, bot: boolean): RecentChange {
  n += 1;
  const host = `${wiki.replace(/wiki$/, '')}.wikipedia.org`;
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
      dt,
      stream: 'mediawiki.recentchange',
      domain: host,
    },
    type,
    wiki,
    server_name: host,
    title: 'Page',
    bot,
  };
}

describe('Wikipedia-activity panels against the real engine', () => {
  beforeAll(async () => {
    const events = [
      change('2026-11-19T12:00:00.000Z', 'enwiki', 'edit', false), // before the range
      change('2026-11-20T08:00:00.000Z', 'enwiki', 'edit', false),
      change('2026-11-20T09:00:00.000Z', 'enwiki', 'edit', true),
      change('2026-11-20T10:00:00.000Z', 'dewiki', 'new', false),
      change('2026-11-21T10:00:00.000Z', 'enwiki', 'log', true),
      change('2026-11-21T11:00:00.000Z', 'frwiki', 'edit', false),
      change('2026-11-21T12:00:00.000Z', 'frwiki', 'edit', false),
    ];
    const insert = (batch: RecentChange[]) =>
      ch.client.insert({
        table: `${ch.database}.changes`,
        values: batch.map(toChangeRow),
        format: 'JSONEachRow',
      });
    await insert(events);
    // A redelivered batch: the panels must still count each change once.
    await insert(events.slice(1, 4));
  });

  it('changes per language per day', async () => {
    const rows = await panel<{ time: string; language: string; changes: string }>(
      activitySql.changesPerLanguage,
    );
    expect(rows.map((r) => [r.time, r.language, Number(r.changes)])).toEqual([
      ['2026-11-20T00:00:00Z', 'de', 1],
      ['2026-11-20T00:00:00Z', 'en', 2],
      ['2026-11-21T00:00:00Z', 'en', 1],
      ['2026-11-21T00:00:00Z', 'fr', 2],
    ]);
  });

  it('bots vs humans', async () => {
    const rows = await panel<{ time: string; editor: string; changes: string }>(
      activitySql.botsVsHumans,
    );
    expect(rows.map((r) => [r.time, r.editor, Number(r.changes)])).toEqual([
      ['2026-11-20T00:00:00Z', 'bots', 1],
      ['2026-11-20T00:00:00Z', 'humans', 2],
      ['2026-11-21T00:00:00Z', 'bots', 1],
      ['2026-11-21T00:00:00Z', 'humans', 2],
    ]);
  });

  it('top wikis', async () => {
    const rows = await panel<{ wiki: string; changes: string }>(activitySql.topWikis);
    expect(rows.map((r) => [r.wiki, Number(r.changes)])).toEqual([
      ['enwiki', 3],
      ['frwiki', 2],
      ['dewiki', 1],
    ]);
  });

  it('changes by type, and the range excludes days outside it', async () => {
    const rows = await panel<{ time: string; type: string; changes: string }>(
      activitySql.changesByType,
      '2026-11-21T00:00:00Z',
      '2026-11-21T23:59:59Z',
    );
    expect(rows.map((r) => [r.time, r.type, Number(r.changes)])).toEqual([
      ['2026-11-21T00:00:00Z', 'edit', 2],
      ['2026-11-21T00:00:00Z', 'log', 1],
    ]);
  });
});
