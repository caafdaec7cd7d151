import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { changesRetentionDays, retentionCutoff } from './retention.js';
import { migrate } from './schema.js';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

describe('retention of changes', () => {
  it('is read from the table, as the last migration set it', async () => {
    expect(await changesRetentionDays(ch.client, ch.database)).toBeUndefined();
    await migrate(ch.client, { database: ch.database, retentionDays: 30, owner: 'local' });
    expect(await changesRetentionDays(ch.client, ch.database)).toBe(30);
    await migrate(ch.client, { database: ch.database, retentionDays: 7, owner: 'local' });
    expect(await changesRetentionDays(ch.client, ch.database)).toBe(7);
  });

  it('cuts where the engine evaluates the TTL expression as expired', async () => {
    const now = Date.parse('2026-12-06T04:30:15.250Z');
    for (const days of [1, 30, 365]) {
      const cutoff = Date.parse(`${retentionCutoff(days, now).replace(' ', 'T')}Z`);
      const times = [-86_400_000, -1001, -1, 0, 1, 999, 1000].map((d) =>
        new Date(cutoff + d).toISOString().replace('T', ' ').replace('Z', ''),
      );
      const result = await ch.client.query({
        query: `SELECT t, toDateTime(toDateTime64(t, 3, 'UTC')) + toIntervalDay({days:UInt32}) <= toDateTime({now:UInt32}, 'UTC') AS expired
                FROM (SELECT arrayJoin({times:Array(String)}) AS t)`,
        query_params: { days, now: Math.floor(now / 1000), times },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ t: string; expired: number | boolean }>();
      const text = retentionCutoff(days, now);
      expect(rows.map((r) => [r.t, Boolean(r.expired)])).toEqual(times.map((t) => [t, t < text]));
    }
  });
});
