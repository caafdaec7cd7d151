/**
 * `npm run bench:feeds [-- --feeds N --channels N --rate N --seconds N --window-ms N]`: live
 * channel feeds under load. N feeds (10,000) over N channels (1,000) are stored in a fresh
 * embedded ClickHouse; one bot worker (feeds-worker.ts, its own process, so its CPU is its own)
 * matches a replay produced to the real Kafka broker (KAFKA_BROKERS, default 127.0.0.1:19092) at
 * N events/s (1,000) and delivers to a local Discord double. Every change each feed matched
 * (found with the same pure matcher, per event) must be accounted for exactly once in that feed's
 * messages (listed, or counted in "+N more"); delivery latency per change is the message's
 * arrival at the double minus the moment the change was produced. Prints one JSON object on
 * stdout; progress goes to stderr. Exits 1 when a feed got other than its matches, 2 when no
 * Kafka broker can be had.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FeedIndex } from '@wikipulse/bot';
import { parseEvent, parseFilterWords, type FeedFilter } from '@wikipulse/events';
import { KafkaBus } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { migrate, openClickHouse } from '@wikipulse/store';
import {
  benchKafka,
  exitOnSetupError,
  freshEvents,
  percentile,
  recordedEvents,
  reportBench,
  round,
  prng,
} from '@wikipulse/testing';
import { DiscordDouble, type SentRecord } from '@wikipulse/testing/discord';

const { values: args } = parseArgs({
  options: {
    feeds: { type: 'string', default: '10000' },
    channels: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    'window-ms': { type: 'string', default: '10000' },
  },
});
const feedCount = Number(args.feeds);
const channelCount = Number(args.channels);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const windowMs = Number(args['window-ms']);
const TOKEN = 'bench-feeds-token';
const progress = (msg: string) => process.stderr.write(`[bench:feeds] ${msg}\n`);
const log = createLogger({ name: 'bench-feeds', level: 'warn' });
const kafka = await benchKafka(progress).catch(exitOnSetupError('feeds'));
const unique = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

// The recordings moved to 20 language editions, so feeds of many languages see traffic.
const LANGUAGES = 'en de fr es it ja ru pt zh pl nl sv uk ar fa id ko tr he cs'.split(' ');
const recorded = recordedEvents().filter((e) => e['type'] !== 'log');
const templates = LANGUAGES.flatMap((language) =>
  recorded.map((e) => ({
    ...e,
    wiki: `${language}wiki`,
    server_name: `${language}.wikipedia.org`,
    server_url: `https://${language}.wikipedia.org`,
  })),
);
const users = [...new Set(recorded.map((e) => String(e['user'])))];
// Title prefixes of one or two characters, as a feed would name a topic's pages.
const prefixes = [
  ...new Set(
    recorded.flatMap((e) => [String(e['title']).slice(0, 1), String(e['title']).slice(0, 2)]),
  ),
].filter((p) => p.trim() !== '' && !p.includes('*'));

const random = prng(17);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/** Feeds as users type them: a language or a wiki, narrowed by a title's start and one more filter. */
function feedWords(): string[] {
  const words = [random() < 0.3 ? `wiki:${pick(LANGUAGES)}wiki` : `lang:${pick(LANGUAGES)}`];
  if (random() < 0.05) return [...words, `user:${pick(users).replace(/ /g, '_')}`];
  words.push(`title:${pick(prefixes).replace(/ /g, '_')}`);
  const extra = pick(['ns:0', 'bots:hide', 'size:200', 'type:edit', 'minor:hide', '']);
  return extra === '' ? words : [...words, extra];
}

const dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-bench-feeds-'));
const database = unique('bench_feeds');
const client = openClickHouse({ kind: 'embedded', path: dataDir });
await migrate(client, { database, retentionDays: 30, owner: 'local' });
const feeds: { feedId: string; channelId: string; filter: FeedFilter }[] = [];
for (let i = 0; i < feedCount; i += 1) {
  const parsed = parseFilterWords(feedWords());
  if (!parsed.ok) throw new Error(parsed.error);
  const channel = i % channelCount;
  feeds.push({
    feedId: `f${i}`,
    channelId: String(100_000_000_000 + channel),
    filter: parsed.filter,
  });
}
const at = '2026-01-01 00:00:00.000';
await client.insert({
  table: `${database}.feeds`,
  values: feeds.map((f, i) => ({
    channel_id: f.channelId,
    feed_id: f.feedId,
    guild_id: String(200_000_000_000 + ((i % channelCount) % 100)),
    created_by: '1',
    kind: 'changes',
    filter: JSON.stringify(f.filter),
    state: 'active',
    reason: '',
    created_at: at,
    updated_at: at,
  })),
  format: 'JSONEachRow',
});
// One process per data folder: the worker opens it next.
await client.close();
progress(`${feedCount} feeds over ${channelCount} channels stored`);

const discord = await new DiscordDouble({ token: TOKEN }).start();
interface Arrival {
  feedId: string;
  at: number;
  listed: number;
  more: number;
}
const arrivals: Arrival[] = [];
const strays: string[] = [];
discord.on('sent', (record: SentRecord) => {
  const embed = (
    record.body['embeds'] as { title?: string; description?: string }[] | undefined
  )?.[0];
  const feedId = /^Feed (\S+) ·/.exec(embed?.title ?? '')?.[1];
  if (feedId === undefined) {
    strays.push(record.target);
    return;
  }
  const lines = (embed?.description ?? '').split('\n');
  arrivals.push({
    feedId,
    at: record.at,
    listed: lines.filter((l) => l.startsWith('`')).length,
    more: Number(/\+(\d+) more/.exec(embed?.description ?? '')?.[1] ?? 0),
  });
  // The double keeps what it was sent for tests; the benchmark keeps its own summary.
  discord.sent.length = 0;
});

const bus = new KafkaBus({ brokers: kafka.brokers, clientId: 'wikipulse-bench-feeds', log });
const eventsTopic = unique('bench_feed_events');
const deliveriesTopic = unique('bench_feed_deliveries');
const matchGroup = unique('bench_feed_match');
const deliveryGroup = unique('bench_feed_delivery');
await bus.ensureTopics([{ topic: eventsTopic, partitions: 6 }]);

const worker = fork(fileURLToPath(new URL('./feeds-worker.js', import.meta.url)), [
  JSON.stringify({
    brokers: kafka.brokers,
    dataDir,
    database,
    apiUrl: discord.apiUrl,
    token: TOKEN,
    eventsTopic,
    deliveriesTopic,
    matchGroup,
    deliveryGroup,
    windowMs,
  }),
]);
const fromWorker = <T>(key: string) =>
  new Promise<T>((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      worker.off('message', onMessage);
      resolve(message as T);
    };
    worker.on('message', onMessage);
    worker.once('exit', (code) => reject(new Error(`the feed worker exited (${code})`)));
  });
await fromWorker<{ ready: true }>('ready');
for (const group of [matchGroup, deliveryGroup]) {
  while ((await bus.describeGroup(group)).state !== 'Stable') {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
progress('the worker runs; replaying');

// The replay, made before it starts so that the measured loop only sends: each event's text
// (its time filled in when sent) and the feeds it matches, found with the same pure matcher.
const index = new FeedIndex(feeds);
const DT = '1970-01-01T00:00:00.000Z';
const replay: { text: string; feedIds: string[] }[] = [];
const source = freshEvents({ templates, startMs: Date.now(), stepMs: 1 });
for (let i = 0; i < rate * seconds; i += 1) {
  const raw = source.next().value as Record<string, unknown>;
  raw['meta'] = { ...(raw['meta'] as object), dt: DT };
  const text = JSON.stringify(raw);
  const parsed = parseEvent(text);
  if (!parsed.ok) throw new Error(`template invalid: ${parsed.detail}`);
  replay.push({ text, feedIds: index.match(parsed.event).map((f) => f.feedId) });
}
progress(`replaying ${replay.length} events at ${rate}/s`);

// The expected deliveries, per feed: the production time of every change it matches.
const expected = new Map<string, number[]>();
const producer = await bus.producer();
const TICK_MS = 50;
let produced = 0;
let matched = 0;
const replayStart = Date.now();
while (produced < replay.length) {
  const tickStart = Date.now();
  // As many as the rate asks for by now: a slow tick is made up by the next.
  const due = Math.min(
    replay.length,
    Math.round((rate * (tickStart - replayStart + TICK_MS)) / 1000),
  );
  const dt = new Date(tickStart).toISOString();
  const values: string[] = [];
  for (; produced + values.length < due;) {
    const event = replay[produced + values.length]!;
    values.push(event.text.replace(DT, dt));
    for (const feedId of event.feedIds) {
      let list = expected.get(feedId);
      if (list === undefined) expected.set(feedId, (list = []));
      list.push(tickStart);
      matched += 1;
    }
  }
  await producer.send(
    eventsTopic,
    values.map((value, i) => ({ key: String(produced + i), value })),
  );
  produced += values.length;
  const wait = TICK_MS - (Date.now() - tickStart);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
const replaySeconds = (Date.now() - replayStart) / 1000;
progress(`${produced} events produced in ${round(replaySeconds)} s, ${matched} matches expected`);

const deliveredCount = () => arrivals.reduce((sum, a) => sum + a.listed + a.more, 0);
const drainDeadline = Date.now() + windowMs * 2 + 30_000;
while (deliveredCount() < matched && Date.now() < drainDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 250));
}
// Time for a late copy to show.
await new Promise((resolve) => setTimeout(resolve, windowMs + 2_000));
worker.send({ stop: true });
const usage = await fromWorker<{
  cpuUserMs: number;
  cpuSystemMs: number;
  elapsedMs: number;
  peakRss: number;
}>('cpuUserMs');

// Each feed's messages, in arrival order, cover its matches in production order.
const latencies: number[] = [];
const byFeed = new Map<string, Arrival[]>();
for (const arrival of arrivals) {
  const list = byFeed.get(arrival.feedId) ?? [];
  list.push(arrival);
  byFeed.set(arrival.feedId, list);
}
const wrong: string[] = [];
let overfull = 0;
for (const feed of feeds) {
  const times = expected.get(feed.feedId) ?? [];
  const messages = byFeed.get(feed.feedId) ?? [];
  let next = 0;
  for (const message of messages) {
    if (message.listed > 10) overfull += 1;
    for (let i = 0; i < message.listed + message.more && next < times.length; i += 1, next += 1) {
      latencies.push(message.at - times[next]!);
    }
  }
  const got = messages.reduce((sum, m) => sum + m.listed + m.more, 0);
  if (got !== times.length) wrong.push(`${feed.feedId}: ${got} delivered of ${times.length}`);
}
latencies.sort((a, b) => a - b);
const p99 = percentile(latencies, 99);
const cpuMs = usage.cpuUserMs + usage.cpuSystemMs;
reportBench(
  'feeds',
  {
    benchmark: 'feeds',
    feeds: feedCount,
    channels: channelCount,
    windowMs,
    eventsProduced: produced,
    eventsPerSecond: round(produced / replaySeconds),
    matchesExpected: matched,
    changesDelivered: deliveredCount(),
    messages: arrivals.length,
    feedsWithWrongCount: wrong.length,
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p99: round(p99),
      max: round(latencies[latencies.length - 1] ?? 0),
    },
    p99TargetMs: windowMs + 2000,
    // The machine's load while it ran: the worker shares the cores with the double, the broker
    // and whatever else runs.
    machine: { cores: cpus().length, loadAverage1m: round(loadavg()[0] ?? 0, 2) },
    p99WithinTarget: p99 <= windowMs + 2000,
    worker: {
      cpuMs: round(cpuMs),
      cpuShareOfOneCore: round(cpuMs / usage.elapsedMs, 2),
      cpuMsPer1000Events: round((cpuMs / produced) * 1000),
      peakRssMb: round(usage.peakRss / 1024 / 1024),
    },
  },
  [
    wrong.length > 0
      ? `${wrong.length} feeds got other than their matches, e.g. ${wrong.slice(0, 3).join('; ')}`
      : undefined,
    overfull > 0 ? `${overfull} messages listed more than 10 changes` : undefined,
    strays.length > 0 ? `${strays.length} messages that are not feed deliveries` : undefined,
  ],
);
await producer.close();
await discord.close();
await rm(dataDir, { recursive: true, force: true });
await kafka.stop();
