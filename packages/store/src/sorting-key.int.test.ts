import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { takeFreshEvents } from '@wikipulse/testing';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { toChangeRow } from './rows.js';
import { migrate } from './schema.js';

const ROWS = 120_000;
let ch: TestClickHouse;

/** Granules selected by the primary key and by the title skip index, from `EXPLAIN indexes = 1`. */
async function granules(query: string): Promise<{ primary: number; skip?: number; total: number }> {
  const result = await ch.client.query({
    query: `EXPLAIN indexes = 1 ${query}`,
    format: 'TabSeparatedRaw',
  });
  const text = await result.text();
  const primary = /PrimaryKey[\s\S]*?Granules: (\d+)\/(\d+)/.exec(text);
  const skip = /Name: idx_title[\s\S]*?Granules: (\d+)\/(\d+)/.exec(text);
  if (!primary) throw new Error(`no primary key step in:\n${text}`);
  return {
    primary: Number(primary[1]),
    total: Number(primary[2]),
    ...(skip ? { skip: Number(skip[1]) } : {}),
  };
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrate(ch.client, { database: ch.database, retentionDays: 3650, owner: 'local' });
  // Four days of real-shaped changes; one English page is edited only within ten minutes.
  const rows = takeFreshEvents(ROWS, { startMs: Date.UTC(2026, 10, 1), stepMs: 3_000 }).map(
    (event, i) => {
      const row = toChangeRow(event as unknown as RecentChange);
      const page = row.wiki === 'enwiki' && i >= 60_000 && i < 60_200;
      return { ...row, title: page ? 'Wikipulse' : `${row.title} ${i}` };
    },
  );
  for (let i = 0; i < rows.length; i += 40_000) {
    await ch.client.insert({
      table: `${ch.database}.changes`,
      values: rows.slice(i, i + 40_000),
      format: 'JSONEachRow',
    });
  }
  await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.changes FINAL` });
});
afterAll(async () => {
  await ch.close();
});

describe('sorting key of changes', () => {
  it('reads a small language from its own key range only', async () => {
    const g = await granules(
      `SELECT * FROM ${ch.database}.changes FINAL WHERE language = 'ar' ORDER BY event_time DESC LIMIT 10`,
    );
    expect(g.primary).toBeLessThanOrEqual(2);
    expect(g.total).toBeGreaterThan(10);
  });

  it('reads the latest changes of the largest language from the last granules when bounded in time', async () => {
    const g = await granules(
      `SELECT * FROM ${ch.database}.changes FINAL
       WHERE language = 'en' AND event_time >= toDateTime64('2026-11-04 20:00:00', 3)
       ORDER BY event_time DESC LIMIT 10`,
    );
    expect(g.primary).toBeLessThanOrEqual(2);
  });

  it('skips granules without the page for "changes of page P"', async () => {
    const g = await granules(
      `SELECT * FROM ${ch.database}.changes FINAL WHERE title = 'Wikipulse' ORDER BY event_time DESC`,
    );
    expect(g.skip).toBeDefined();
    expect(g.skip!).toBeLessThanOrEqual(8);
    expect(g.total).toBeGreaterThan(g.skip! * 2);
  });
});
