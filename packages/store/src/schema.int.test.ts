import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { MIGRATIONS, databaseExists, dropDatabase, migrate } from './schema.js';
import { toChangeRow } from './rows.js';
import type { RecentChange } from '@wikipulse/events';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

function change(id: string, dt: string, wiki: string, type: string, bot: boolean): RecentChange {
  const host =
    wiki === 'commonswiki' ? 'commons.wikimedia.org' : `${wiki.replace(/wiki$/, '')}.wikipedia.org`;
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: { id, dt, stream: 'mediawiki.recentchange', domain: host },
    type,
    wiki,
    server_name: host,
    title: 'Page',
    bot,
  };
}

async function rows<T>(query: string): Promise<T[]> {
  const result = await ch.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

describe('migrations', () => {
  it('apply once, are idempotent, and follow the retention setting', async () => {
    const first = await migrate(ch.client, {
      database: ch.database,
      retentionDays: 30,
      owner: 'local',
    });
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const again = await migrate(ch.client, {
      database: ch.database,
      retentionDays: 14,
      owner: 'local',
    });
    expect(again).toEqual({
      applied: [],
      alreadyApplied: MIGRATIONS.map((m) => m.version),
      createdDatabase: false,
    });
    const [table] = await rows<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = '${ch.database}' AND name = 'changes'`,
    );
    expect(table?.engine_full).toContain('toIntervalDay(14)');
  });

  it('refuses a database name that is not an identifier', async () => {
    await expect(
      migrate(ch.client, { database: 'x; DROP TABLE y', retentionDays: 1, owner: 'local' }),
    ).rejects.toThrow(/identifier/);
  });

  it('drops a database with its tables, and a second drop finds nothing to do', async () => {
    const database = `${ch.database}_dropped`;
    await migrate(ch.client, { database, retentionDays: 1, owner: 'local' });
    expect(await databaseExists(ch.client, database)).toBe(true);
    expect(await dropDatabase(ch.client, database)).toBe(true);
    expect(await databaseExists(ch.client, database)).toBe(false);
    expect(await dropDatabase(ch.client, database)).toBe(false);
    await expect(dropDatabase(ch.client, 'system; --')).rejects.toThrow(/identifier/);
  });

  it('counts each event once per day and language however often it is inserted', async () => {
    await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
    const events = [
      change(
        '00000000-0000-4000-8000-000000000001',
        '2026-11-20T23:59:59.999Z',
        'enwiki',
        'edit',
        false,
      ),
      change(
        '00000000-0000-4000-8000-000000000002',
        '2026-11-21T00:00:00.000Z',
        'enwiki',
        'edit',
        true,
      ),
      change(
        '00000000-0000-4000-8000-000000000003',
        '2026-11-21T10:00:00.000Z',
        'enwiki',
        'new',
        false,
      ),
      change(
        '00000000-0000-4000-8000-000000000004',
        '2026-11-21T10:00:00.000Z',
        'dewiki',
        'edit',
        false,
      ),
      change(
        '00000000-0000-4000-8000-000000000005',
        '2026-11-21T11:00:00.000Z',
        'commonswiki',
        'edit',
        true,
      ),
    ];
    const table = `${ch.database}.changes`;
    const insert = (batch: RecentChange[]) =>
      ch.client.insert({ table, values: batch.map(toChangeRow), format: 'JSONEachRow' });
    await insert(events);
    await insert(events.slice(1, 3)); // a redelivered batch
    await insert([events[2]!]); // the source sending an event again

    expect(await rows(`SELECT count() AS n FROM ${table} FINAL`)).toEqual([{ n: 5 }]);
    const counts = await rows(
      `SELECT toString(day) AS day, language, uniqExactMerge(events) AS n
       FROM ${ch.database}.daily_counts GROUP BY day, language ORDER BY day, language`,
    );
    expect(counts).toEqual([
      { day: '2026-11-20', language: 'en', n: 1 },
      { day: '2026-11-21', language: '', n: 1 },
      { day: '2026-11-21', language: 'de', n: 1 },
      { day: '2026-11-21', language: 'en', n: 2 },
    ]);
  });
});
