import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

describe('ClickHouse engine', () => {
  it('deduplicates a ReplacingMergeTree on its key when read with FINAL', async () => {
    const table = `${ch.database}.smoke`;
    await ch.client.command({
      query: `CREATE TABLE ${table} (id UUID, wiki LowCardinality(String), dt DateTime64(3, 'UTC'), version UInt64)
              ENGINE = ReplacingMergeTree(version) ORDER BY id`,
    });
    const ids = ['0d2e53a4-4b54-4d8c-9d7c-3a3a1c0b2b01', '7f1c1e3e-5b0a-4a57-8d43-2f1b3c4d5e6f'];
    const row = (id: string, version: number) => ({
      id,
      wiki: 'enwiki',
      dt: '2026-11-22 10:00:00.123',
      version,
    });
    // Two inserts, as a redelivered batch would make: two parts, duplicates on disk.
    await ch.client.insert({
      table,
      values: [row(ids[0]!, 1), row(ids[1]!, 1)],
      format: 'JSONEachRow',
    });
    await ch.client.insert({ table, values: [row(ids[0]!, 2)], format: 'JSONEachRow' });

    const raw = await ch.client.query({
      query: `SELECT count() AS n FROM ${table}`,
      format: 'JSONEachRow',
    });
    expect(await raw.json()).toEqual([{ n: 3 }]);

    const final = await ch.client.query({
      query: `SELECT id, version FROM ${table} FINAL WHERE wiki = {wiki:String} ORDER BY toString(id)`,
      query_params: { wiki: 'enwiki' },
      format: 'JSONEachRow',
    });
    expect(await final.json()).toEqual([
      { id: ids[0], version: 2 },
      { id: ids[1], version: 1 },
    ]);
  });
});
