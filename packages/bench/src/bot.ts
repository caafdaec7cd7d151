import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REST } from 'discord.js';
import {
  COMMANDS,
  CommandService,
  createProcessor,
  DiscordResponder,
  type CommandRequest,
} from '@wikipulse/bot';
import { parseEvent } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import {
  dailyStats,
  migrate,
  openClickHouse,
  recentChanges,
  trendingPages,
  toChangeRow,
  type ClickHouseTarget,
} from '@wikipulse/store';
import {
  freshEvents,
  recordedEvents,
  reportBench,
  storedDistinctIds,
  storedMismatch,
} from '@wikipulse/testing';
import { DiscordDouble } from '@wikipulse/testing/discord';

/**
 * `npm run bench:bot`: server-side command latency of one worker, from "command received"
 * to "reply accepted by Discord" (a local Discord double over loopback HTTP), for `!recent`
 * and `!stats` at a fixed open-loop rate over a store of N real-shaped events spread over the
 * day before the run. Prints one JSON object on stdout; progress goes to stderr. Exits 1 when
 * the store holds other than the events seeded, each once.
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    users: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3' },
  },
});
const eventCount = Number(values.events);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const users = Number(values.users);
const warmupSeconds = Number(values.warmup);
const log = createLogger({ name: 'bench-bot', level: 'info' });
const quiet = createLogger({ name: 'bench-bot', level: 'warn' });

const dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-bench-bot-'));
const url = process.env['CLICKHOUSE_URL'];
const target: ClickHouseTarget = url
  ? { kind: 'server', url }
  : { kind: 'embedded', path: dataDir };
const client = openClickHouse(target);
const database = `bench_bot_${Date.now().toString(36)}`;
await migrate(client, { database, retentionDays: 30, owner: 'local' });
const store = { client, database };

// Real recordings, plus copies moved to other language editions, so that several languages
// have a realistic share of a day's traffic.
const recorded = recordedEvents();
const relabel = (language: string) =>
  recorded
    .filter((e) => e['wiki'] === 'enwiki')
    .map((e) => ({
      ...e,
      wiki: `${language}wiki`,
      server_name: `${language}.wikipedia.org`,
      server_url: `https://${language}.wikipedia.org`,
    }));
const templates = [
  ...recorded,
  ...relabel('de').slice(0, 40),
  ...relabel('fr').slice(0, 25),
  ...relabel('ja').slice(0, 15),
];

const seedStart = performance.now();
const now = Date.now();
const stepMs = Math.max(1, Math.floor(86_400_000 / Math.max(1, eventCount)));
const source = freshEvents({ templates, startMs: now - eventCount * stepMs, stepMs });
const BATCH = 50_000;
let seeded = 0;
for (let done = 0; done < eventCount;) {
  const rows = [];
  const n = Math.min(BATCH, eventCount - done);
  for (let i = 0; i < n; i += 1) {
    const parsed = parseEvent(JSON.stringify(source.next().value));
    if (parsed.ok) rows.push(toChangeRow(parsed.event));
  }
  await client.insert({ table: `${database}.changes`, values: rows, format: 'JSONEachRow' });
  seeded += rows.length;
  done += n;
  if (done % 200_000 === 0 || done === eventCount) log.info({ done }, 'seeded');
}
// A steady store has its parts merged; right after a bulk load the engine is still merging.
await client.command({ query: `OPTIMIZE TABLE ${database}.changes FINAL` });
await client.command({ query: `OPTIMIZE TABLE ${database}.daily_counts FINAL` });
await client.command({ query: `OPTIMIZE TABLE ${database}.page_minutes FINAL` });
await client.command({ query: `OPTIMIZE TABLE ${database}.page_minutes_by_page FINAL` });
const seedSeconds = (performance.now() - seedStart) / 1000;
const stored = await storedDistinctIds(client, database);
global.gc?.();
const afterSeed = process.memoryUsage();

const discord = await new DiscordDouble({ token: 'bench-token' }).start();
// Replies go to slash commands (editing the deferred reply): Discord exempts interaction
// replies from a bot's global limit of 50 requests/s, which 200 channel messages/s would hit.
const responder = new DiscordResponder(
  new REST({ api: discord.apiUrl, globalRequestsPerSecond: 10_000 }).setToken('bench-token'),
);
const service = new CommandService({
  store,
  commands: COMMANDS,
  log: quiet,
  retentionDays: 30,
  rateLimit: { burst: 5, refillMs: 3000 },
});
const run = createProcessor({ service, responder, log: quiet });
const languages = ['en', 'en', 'en', 'de', 'fr', 'id', 'ja', 'multi', 'commons'];
const latencies: Record<'recent' | 'stats', number[]> = { recent: [], stats: [] };
const outcomes: Record<string, number> = {};

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  // The double keeps what it was sent for tests; the benchmark does not need it.
  discord.sent.length = 0;
}, 50);

log.info({ rate, seconds }, 'sending commands');
const warmup = Math.round(rate * warmupSeconds);
const total = rate * seconds + warmup;
const intervalMs = 1000 / rate;
const started = performance.now();
const inFlight = new Set<Promise<void>>();
let sentCount = 0;
while (sentCount < total) {
  const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
  for (; sentCount < due; sentCount += 1) {
    const index = sentCount;
    const kind = sentCount % 2 === 0 ? 'recent' : 'stats';
    const language = languages[sentCount % languages.length]!;
    const channelId = String(1000 + (sentCount % 50));
    const interaction = discord.openInteraction(channelId);
    const request: CommandRequest = {
      v: 1,
      id: interaction.id,
      text: kind === 'recent' ? `!recent ${language}` : `!stats ${language}`,
      userId: `user${sentCount % users}`,
      guildId: '1',
      channelId,
      canManageGuild: false,
      canManageChannels: false,
      sentAt: Date.now(),
      receivedAt: Date.now(),
      interaction: { applicationId: interaction.applicationId, token: interaction.token },
    };
    const task = run(request).then((result) => {
      if (result === null) return;
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      if (result.outcome === 'ok' && index >= warmup) latencies[kind].push(result.latencyMs);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs / 2)));
}
await Promise.all(inFlight);
const elapsed = (performance.now() - started) / 1000;
clearInterval(sampler);

// The same queries without the worker's short-lived cache, one at a time: what a cache miss costs.
const uncached: Record<'recent' | 'stats' | 'trending', number[]> = {
  recent: [],
  stats: [],
  trending: [],
};
const today = new Date().toISOString().slice(0, 10);
for (let i = 0; i < 100; i += 1) {
  const language = languages[i % languages.length]!;
  const choice = language === 'multi' || language === 'commons' ? '' : language;
  let t = performance.now();
  await recentChanges(store, { language: choice, limit: 10, offset: 0 });
  uncached.recent.push(performance.now() - t);
  t = performance.now();
  await dailyStats(store, { day: today, language: choice });
  uncached.stats.push(performance.now() - t);
  t = performance.now();
  await trendingPages(store, { language: choice, now: new Date(), limit: 10 });
  uncached.trending.push(performance.now() - t);
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const value = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return value === undefined ? null : Math.round(value * 10) / 10;
  };
  return { count: sorted.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
};
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const result = {
  benchmark: 'bot',
  store:
    target.kind === 'embedded' ? 'embedded ClickHouse (chdb, in-process)' : 'ClickHouse server',
  events: eventCount,
  seeded_rows: seeded,
  stored_rows: stored.total,
  stored_distinct: stored.distinct,
  seed_seconds: Math.round(seedSeconds * 10) / 10,
  rate_per_s: rate,
  achieved_rate_per_s: Math.round((sentCount / elapsed) * 10) / 10,
  seconds: Math.round(elapsed * 10) / 10,
  warmup_seconds_not_measured: warmupSeconds,
  latency:
    'command received by the worker → reply accepted by the Discord double (slash reply over loopback REST), one worker; the worker caches answers for 2 s (recent) and 15 s (stats of today)',
  recent: summary(latencies.recent),
  stats: summary(latencies.stats),
  uncached_query: {
    note: 'the store query alone, no cache, sequential, 100 each over the languages used',
    recent: summary(uncached.recent),
    stats: summary(uncached.stats),
    trending: summary(uncached.trending),
  },
  outcomes,
  memory: {
    peak_rss_mb: mb(peakRss),
    peak_heap_used_mb: mb(peakHeap),
    heap_used_after_seed_mb: mb(afterSeed.heapUsed),
    rss_after_seed_mb: mb(afterSeed.rss),
    note: 'RSS includes the embedded ClickHouse engine; heap is the worker’s JavaScript heap',
  },
  targets: { p99_ms: 50, heap_mb: 150, uncached_trending_p99_ms: 100 },
};
reportBench('bot', result, [storedMismatch('ClickHouse', seeded, stored)]);
await discord.close();
await client.close();
await rm(dataDir, { recursive: true, force: true });
