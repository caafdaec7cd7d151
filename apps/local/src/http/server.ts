import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { dailyChartPng } from '@wikipulse/charts';
import { isLoopback, isLoopbackHost } from '@wikipulse/config';
import { describeFilter, filterQuery } from '@wikipulse/events';
import type { Logger } from '@wikipulse/logger';
import type { Registry } from '@wikipulse/metrics';
import {
  RECENT_MAX_LIMIT,
  RECENT_MAX_OFFSET,
  TOP_MAX_LIMIT,
  TRENDING_MAX_LIMIT,
  changesPerMinute,
  dailyStats,
  filteredChanges,
  hourlyChanges,
  languageTotals,
  recentChanges,
  topPages,
  trendingPages,
  type RecentChangeRow,
  type Store,
} from '@wikipulse/store';
import { BadRequest, changeFilter, day, feedId, integer, language } from './params.js';

/** What the local run reports about itself, live. */
export interface Progress {
  /** `live` (Wikimedia's stream) or `replay` (a recording played by a local server). */
  source: 'live' | 'replay';
  sourceUrl: string;
  startedAt: string;
  ingested: number;
  /** Events per second over the last few seconds. */
  ratePerSecond: number;
  /** Now − event time of the newest ingested event, seconds; null before the first. */
  lagSeconds: number | null;
  storedRows: number;
  deadLettered: number;
}

export interface HttpServerOptions {
  store: Store;
  progress: () => Progress;
  /** The parts' metrics, served at `/metrics` for a Prometheus on the same machine. */
  registry?: Registry;
  port: number;
  host: string;
  log: Logger;
  /** How often `/api/live` pushes progress, ms. */
  liveIntervalMs?: number;
  /** `/api/live` streams held open at once; one more is answered 503. */
  maxLiveClients: number;
  /** The time "now" means for trending and the live series; tests set it. */
  clock?: () => Date;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

const PUBLIC_DIR = new URL('../../public/', import.meta.url).pathname;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const STATIC_FILES = new Set([
  '/index.html',
  '/app.js',
  '/charts.js',
  '/style.css',
  '/favicon.svg',
]);

/** The change as the API shows it; `id` is the event's `meta.id`. */
export function toApiChange(row: RecentChangeRow) {
  const sizeDelta =
    row.length_new !== null && row.length_old !== null
      ? row.length_new - row.length_old
      : row.length_new;
  return {
    id: row.event_id,
    time: row.event_time,
    wiki: row.wiki,
    language: row.language,
    type: row.type,
    title: row.title,
    url: pageUrl(row.server_url, row.title),
    user: row.user,
    bot: row.bot,
    minor: row.minor,
    sizeDelta,
    comment: row.comment,
  };
}

export function pageUrl(serverUrl: string, title: string): string | null {
  if (!serverUrl.startsWith('https://') || title === '') return null;
  return `${serverUrl}/wiki/${encodeURIComponent(title.replace(/ /g, '_')).replace(/%2F/g, '/').replace(/%3A/g, ':')}`;
}

/**
 * The local run's HTTP API and web page:
 * `GET /api/recent?lang=&limit=&offset=`, `GET /api/changes?<feed filters>&feed=&limit=&offset=`
 * (the filtered view a feed's "+N more" links to), `GET /api/stats?date=&lang=`,
 * `GET /api/top?lang=&date=`, `GET /api/languages?date=`, `GET /api/trending?lang=&limit=`,
 * `GET /api/activity?minutes=`, `GET /api/charts/daily.png?date=&lang=`, `GET /api/progress`,
 * and `GET /api/live` (progress as server-sent events, at most `maxLiveClients` at once).
 * Listening on the loopback, it answers only requests whose `Host` is the loopback (DNS
 * rebinding).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { store, progress, log } = options;
  const clock = options.clock ?? (() => new Date());
  const loopbackOnly = isLoopback(options.host);
  const liveClients = new Set<ServerResponse>();

  const routes: Record<string, (params: URLSearchParams) => Promise<unknown>> = {
    '/api/recent': async (params) => {
      const rows = await recentChanges(store, {
        language: language(params, 'en'),
        limit: integer(params, 'limit', 10, 1, RECENT_MAX_LIMIT),
        offset: integer(params, 'offset', 0, 0, RECENT_MAX_OFFSET),
      });
      return { items: rows.map(toApiChange) };
    },
    '/api/changes': async (params) => {
      const filter = changeFilter(params, ['feed', 'limit', 'offset']);
      const feed = feedId(params);
      const rows = await filteredChanges(store, {
        filter,
        limit: integer(params, 'limit', 10, 1, RECENT_MAX_LIMIT),
        offset: integer(params, 'offset', 0, 0, RECENT_MAX_OFFSET),
      });
      return {
        feed,
        filter: describeFilter(filter),
        query: filterQuery(filter).toString(),
        items: rows.map(toApiChange),
      };
    },
    '/api/stats': async (params) => {
      const stats = await dailyStats(store, { day: day(params), language: language(params, 'en') });
      return {
        date: stats.day,
        lang: stats.language,
        total: stats.total,
        byType: stats.byType,
        bots: stats.bots,
        humans: stats.humans,
      };
    },
    '/api/top': async (params) => {
      const date = day(params);
      const lang = language(params, 'en');
      const rows = await topPages(store, {
        day: date,
        language: lang,
        limit: integer(params, 'limit', 10, 1, TOP_MAX_LIMIT),
      });
      return {
        date,
        lang,
        items: rows.map((r) => ({ ...r, url: pageUrl(r.server_url, r.title) })),
      };
    },
    '/api/languages': async (params) => {
      const date = day(params);
      const items = await languageTotals(store, {
        day: date,
        limit: integer(params, 'limit', 15, 1, 100),
      });
      return { date, items };
    },
    '/api/trending': async (params) => {
      const lang = language(params, 'en');
      const rows = await trendingPages(store, {
        language: lang,
        now: clock(),
        limit: integer(params, 'limit', 10, 1, TRENDING_MAX_LIMIT),
      });
      return { lang, items: rows };
    },
    '/api/activity': async (params) => {
      const minutes = integer(params, 'minutes', 60, 1, 360);
      const rows = await changesPerMinute(store, { now: clock(), minutes, languages: 6 });
      return { minutes, items: rows };
    },
    '/api/progress': () => Promise.resolve(progress()),
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) {
      json(res, 403, {
        error: 'this server answers on localhost only: open it as http://127.0.0.1:<port>/',
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    if (path === '/metrics' && options.registry) {
      const body = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
      return;
    }
    if (path === '/api/live') {
      if (liveClients.size >= options.maxLiveClients) {
        res.setHeader('retry-after', '10');
        json(res, 503, {
          error: `too many live connections (at most ${options.maxLiveClients}); close another page or try again later`,
        });
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(progress())}\n\n`);
      liveClients.add(res);
      req.on('close', () => liveClients.delete(res));
      return;
    }
    if (path === '/api/charts/daily.png') {
      const png = await answer(res, async () => {
        const date = day(url.searchParams, clock());
        const lang = url.searchParams.get('lang');
        const all = lang === null || lang === '' || lang === 'all';
        const scope = all ? { language: null } : { language: language(url.searchParams, 'en') };
        const hourly = await hourlyChanges(store, { ...scope, day: date });
        const where = all ? 'all wikis' : scope.language || 'multilingual wikis';
        return dailyChartPng({ title: `Changes per hour · ${where} · ${date} (UTC)`, hourly });
      });
      if (png !== undefined) {
        res
          .writeHead(200, {
            'content-type': 'image/png',
            'content-length': png.length,
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
          })
          .end(png);
      }
      return;
    }
    const route = routes[path];
    if (route) {
      const body = await answer(res, () => route(url.searchParams));
      if (body !== undefined) json(res, 200, body);
      return;
    }
    if (STATIC_FILES.has(path)) {
      const body = await readFile(join(PUBLIC_DIR, path));
      res
        .writeHead(200, {
          'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'self'; img-src 'self' data:",
        })
        .end(body);
      return;
    }
    json(res, 404, { error: `no such resource: ${path}` });
  }

  const ticker = setInterval(() => {
    if (liveClients.size === 0) return;
    const frame = `data: ${JSON.stringify(progress())}\n\n`;
    for (const client of liveClients) client.write(frame);
  }, options.liveIntervalMs ?? 1000);
  ticker.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        for (const client of liveClients) client.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The route's result, or undefined once a 400 has answered a bad parameter. */
async function answer<T>(res: ServerResponse, route: () => Promise<T>): Promise<T | undefined> {
  try {
    return await route();
  } catch (error) {
    if (error instanceof BadRequest || error instanceof RangeError) {
      json(res, 400, { error: error.message });
      return undefined;
    }
    throw error;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(JSON.stringify(body));
}
