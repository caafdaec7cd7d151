import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import { migrate, toChangeRow, type Store } from '@wikipulse/store';
import { takeFreshEvents } from '@wikipulse/testing';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { startHttpServer, type HttpServer, type Progress } from './server.js';

/**
 * The HTTP API over the embedded ClickHouse engine: the chart, trending, live-series and
 * filtered-changes routes, the Host check against DNS rebinding, and the bound on live (SSE)
 * connections.
 */
// Now, not a fixed day: the trending rollup drops rows older than its 48 hours at insert.
const NOW = new Date();
let ch: TestClickHouse;
let store: Store;
let server: HttpServer;

const progress: Progress = {
  source: 'replay',
  sourceUrl: 'http://127.0.0.1:1/',
  startedAt: NOW.toISOString(),
  ingested: 0,
  ratePerSecond: 0,
  lagSeconds: null,
  storedRows: 0,
  deadLettered: 0,
};

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrate(store.client, { database: store.database, retentionDays: 3650, owner: 'local' });
  // The recordings' own wikis, re-timed: a past day for the chart, one change every 20 s over
  // the hour before NOW, and a burst on one page in the last minutes for trending.
  const day = takeFreshEvents(240, {
    startMs: Date.parse('2026-11-20T00:03:00Z'),
    stepMs: 360_000,
  });
  const hour = takeFreshEvents(180, { startMs: NOW.getTime() - 3_600_000, stepMs: 20_000 });
  const burst = takeFreshEvents(6, { startMs: NOW.getTime() - 300_000, stepMs: 30_000 }).map(
    (e, i) => ({
      ...e,
      wiki: 'enwiki',
      server_name: 'en.wikipedia.org',
      server_url: 'https://en.wikipedia.org',
      type: 'edit',
      title: 'Solar eclipse',
      user: `editor${i % 3}`,
    }),
  );
  const rows = [...day, ...hour, ...burst].map((raw) => {
    const parsed = parseEvent(JSON.stringify(raw));
    if (!parsed.ok) throw new Error(parsed.detail);
    return toChangeRow(parsed.event);
  });
  await store.client.insert({
    table: `${store.database}.changes`,
    values: rows,
    format: 'JSONEachRow',
  });
  server = await startHttpServer({
    store,
    progress: () => progress,
    port: 0,
    host: '127.0.0.1',
    log: createLogger({ name: 'http-test', level: 'silent' }),
    maxLiveClients: 2,
    liveIntervalMs: 50,
    clock: () => NOW,
  });
});

afterAll(async () => {
  await server.close();
  await ch.close();
});

/** A GET with the Host header the test chooses (fetch does not let a caller set it). */
function get(
  path: string,
  host = `127.0.0.1:${server.port}`,
): Promise<{
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  res: IncomingMessage;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: { host } },
      (res) => {
        if (res.headers['content-type'] === 'text/event-stream') {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.alloc(0),
            res,
          });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            res,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('GET /api/charts/daily.png', () => {
  it('answers a PNG of the day’s changes per hour, for one language or all wikis', async () => {
    for (const query of ['?date=2026-11-20&lang=en', '?date=2026-11-20', '?lang=all', '']) {
      const { status, headers, body } = await get(`/api/charts/daily.png${query}`);
      expect(status).toBe(200);
      expect(headers['content-type']).toBe('image/png');
      expect(body.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(body.toString('latin1', 12, 16)).toBe('IHDR');
      expect([body.readUInt32BE(16), body.readUInt32BE(20)]).toEqual([800, 400]);
      expect(body.toString('latin1', body.length - 8, body.length - 4)).toBe('IEND');
    }
    // The same data gives the same picture; another language gives another.
    const a = await get('/api/charts/daily.png?date=2026-11-20&lang=en');
    const b = await get('/api/charts/daily.png?date=2026-11-20&lang=en');
    const c = await get('/api/charts/daily.png?date=2026-11-20&lang=fr');
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.body.equals(c.body)).toBe(false);
  });

  it('says what is wrong with a bad date or language', async () => {
    const future = await get('/api/charts/daily.png?date=2999-01-01');
    expect(future.status).toBe(400);
    expect(JSON.parse(future.body.toString()).error).toContain('is in the future');
    const bad = await get('/api/charts/daily.png?date=2026-02-30');
    expect(JSON.parse(bad.body.toString()).error).toBe(
      'date must be a real day written YYYY-MM-DD',
    );
    const lang = await get('/api/charts/daily.png?lang=%3Cscript%3E');
    expect(lang.status).toBe(400);
    expect(JSON.parse(lang.body.toString()).error).toContain('lang must be a language code');
  });
});

describe('the page’s data', () => {
  it('lists trending pages and changes per minute by language over the last hour', async () => {
    const trending = JSON.parse((await get('/api/trending?lang=en')).body.toString()) as {
      items: { title: string; edits: number; editors: number }[];
    };
    expect(trending.items[0]).toMatchObject({ title: 'Solar eclipse', edits: 6, editors: 3 });
    const activity = JSON.parse((await get('/api/activity')).body.toString()) as {
      minutes: number;
      items: { minute: string; language: string; changes: number }[];
    };
    expect(activity.minutes).toBe(60);
    const total = activity.items.reduce((sum, item) => sum + item.changes, 0);
    // Six languages at most, so a share of the 186 changes; every minute within the hour.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(186);
    expect(new Set(activity.items.map((i) => i.language)).size).toBeLessThanOrEqual(6);
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
    for (const item of activity.items) {
      expect(item.minute.slice(0, 16) >= minute(NOW.getTime() - 3_600_000)).toBe(true);
      expect(item.minute.slice(0, 16) <= minute(NOW.getTime())).toBe(true);
    }
    expect((await get('/api/activity?minutes=9999')).status).toBe(400);
  });
});

describe('GET /api/changes (the filtered view of a feed link)', () => {
  interface Changes {
    feed: string | null;
    filter: string;
    query: string;
    items: {
      id: string;
      title: string;
      user: string;
      language: string;
      bot: boolean;
      type: string;
    }[];
  }
  const changes = async (query: string) => {
    const { status, body } = await get(`/api/changes?${query}`);
    return { status, body: JSON.parse(body.toString()) as Changes & { error?: string } };
  };

  it('answers the changes that pass a feed link’s filters, newest first', async () => {
    const burst = await changes('lang=en&type=edit&title=Solar*&feed=k3m9x2ab');
    expect(burst.status).toBe(200);
    expect(burst.body).toMatchObject({
      feed: 'k3m9x2ab',
      filter: 'lang:en type:edit title:Solar*',
      query: 'lang=en&type=edit&title=Solar*',
    });
    expect(burst.body.items).toHaveLength(6);
    expect(new Set(burst.body.items.map((c) => c.title))).toEqual(new Set(['Solar eclipse']));

    // Underscores read as spaces, as in `!feed add user:…`; the parameter as the bot writes it.
    const one = await changes('user=editor1&type=edit&title=Solar_eclipse');
    expect(one.body.items.map((c) => c.user)).toEqual(['editor1', 'editor1']);
    expect(one.body.feed).toBeNull();

    // The newest people's changes in English are the newest English changes less the bots'.
    const humans = await changes('lang=en&bots=hide&limit=20');
    expect(humans.body.items).toHaveLength(20);
    for (const c of humans.body.items) expect([c.language, c.bot]).toEqual(['en', false]);
    const recent = JSON.parse((await get('/api/recent?lang=en&limit=100')).body.toString()) as {
      items: { id: string; bot: boolean }[];
    };
    expect(humans.body.items.map((c) => c.id)).toEqual(
      recent.items
        .filter((c) => !c.bot)
        .map((c) => c.id)
        .slice(0, 20),
    );
  });

  it('says what is wrong with a bad filter, as !feed add would', async () => {
    const cases: [string, string][] = [
      ['lang=xx-nope', '`lang=xx-nope`: unknown language code'],
      ['colour=red', '`colour` is not a filter. Filters are lang, wiki, ns, type'],
      ['ns=0&ns=1', '`ns=` is given twice'],
      ['ns=main', '`ns=main`: ns takes namespace numbers'],
      ['type=edits', '`edits` is not a change type'],
      ['title=**', 'would match every title'],
      ['lang=de&wiki=dewiki', 'Give either lang= or wiki=, not both'],
      ['size=-5', '`size=-5`: size takes the smallest absolute size change'],
      ['bots=', '`bots=` has no value'],
      ['feed=%3Cscript%3E', 'feed must be a feed id'],
      ['lang=en&limit=1000', 'limit must be a whole number from 1 to 100'],
    ];
    for (const [query, error] of cases) {
      const { status, body } = await changes(query);
      expect(status, query).toBe(400);
      expect(body.error, query).toContain(error);
    }
  });
});

describe('the Host check', () => {
  it('refuses a request naming a foreign host (DNS rebinding) and serves loopback names', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1.evil.example']) {
      const refused = await get('/api/progress', host);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body.toString()).error).toContain('localhost only');
    }
    expect((await get('/index.html', 'evil.example')).status).toBe(403);
    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      expect((await get('/api/progress', host)).status).toBe(200);
    }
  });
});

describe('live connections', () => {
  it('serves at most the configured number at once and says so beyond it', async () => {
    const first = await get('/api/live');
    const second = await get('/api/live');
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await get('/api/live');
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('10');
    expect(JSON.parse(third.body.toString()).error).toBe(
      'too many live connections (at most 2); close another page or try again later',
    );
    // A closed page frees its place.
    first.res.destroy();
    await expect
      .poll(async () => {
        const again = await get('/api/live');
        again.res.destroy();
        return again.status;
      })
      .toBe(200);
    second.res.destroy();
  });
});
