/**
 * `npm run bench:e2e [-- --seconds N]`: end-to-end latency of the whole pipeline, in one process
 * as the local mode runs it. For each rate (live, 50 events/s, and 20× live, 1,000 events/s) a
 * local EventStreams server sends real-shaped events, the ingestor produces them to the real
 * Kafka broker (KAFKA_BROKERS, default 127.0.0.1:19092), the sink writes them into the embedded
 * ClickHouse engine (a fresh temporary data folder), and a poller runs the bot's `recent` query
 * (`recentChanges`) until each event shows up. Latency = first poll that returned the event −
 * the moment the server wrote it to the socket. Prints one JSON object on stdout; progress and
 * warnings go to stderr. After each rate the ingestor is stopped and the sink drains the topic:
 * the run exits 1 when ClickHouse holds other than the events the ingestor produced, each once,
 * or lacks a measured event the server sent; 2 when no Kafka broker can be had.
 *
 * Flags: --seconds N measured per rate (default 25), --warmup N seconds sent before measuring
 * (default 2), --rates 50,1000, --batch-wait-ms N (the sink's BATCH_MAX_WAIT_MS, default 100),
 * --linger-ms N (the ingestor's LINGER_MS, default 5), --poll-ms N pause between poll rounds
 * (default 10).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RETENTION_DAYS } from '@wikipulse/config';
import type { RecentChange } from '@wikipulse/events';
import { createApp as createIngestorApp, loadIngestorConfig } from '@wikipulse/ingestor';
import { KafkaBus } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { Sink, createSinkMetrics, loadSinkConfig, type SinkConfig } from '@wikipulse/sink';
import {
  RECENT_MAX_LIMIT,
  RECENT_MAX_OFFSET,
  assertIdentifier,
  migrate,
  openClickHouse,
  recentChanges,
  toChangeRow,
  type ClickHouseClient,
  type Store,
} from '@wikipulse/store';
import {
  benchKafka,
  exitOnSetupError,
  percentile,
  recordedLines,
  reportBench,
  round,
  startEventStreamsServer,
  storedDistinctIds,
  storedMismatch,
  waitForCommit,
  type EventStreamsServer,
  type StoredCount,
} from '@wikipulse/testing';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '2' },
    rates: { type: 'string', default: '50,1000' },
    'batch-wait-ms': { type: 'string', default: '100' },
    'linger-ms': { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '10' },
  },
});
const seconds = positive(args.seconds, '--seconds');
const warmupSeconds = Number(args.warmup);
const rates = args.rates.split(',').map((r) => positive(r, '--rates'));
const batchWaitMs = positive(args['batch-wait-ms'], '--batch-wait-ms');
const lingerMs = Number(args['linger-ms']);
const pollMs = Number(args['poll-ms']);
/** How long events still unseen after the window may take before they count as missing. */
const DRAIN_TIMEOUT_MS = 15_000;
const TARGET = { p50Ms: 300, p99Ms: 1000 };

const log = createLogger({ name: 'bench-e2e', level: 'warn' });
const progress = (msg: string) => process.stderr.write(`[bench:e2e] ${msg}\n`);
const kafka = await benchKafka(progress).catch(exitOnSetupError('e2e'));
const brokers = kafka.brokers.join(',');
const unique = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`);
  return n;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An event the poller waits for: when it left the server, and what `recent` sorts it by. */
interface Unseen {
  sentAt: number;
  eventTime: number;
}

/**
 * Watches the server's sent entries and finds each measured one in `recent` results. Each
 * round pages through `recentChanges` for every language with events still unseen, from the
 * newest row down to the oldest unseen event's time, so an event inserted behind newer ones
 * (another partition's later batch) is still found.
 */
class VisibilityPoller {
  readonly latencies: number[] = [];
  /** Duration of each round that had something to look for: the measurement's resolution. */
  readonly roundMs: number[] = [];
  queries = 0;
  measured = 0;
  readonly #server: EventStreamsServer;
  readonly #store: Store;
  readonly #waiting = new Map<string, Map<string, Unseen>>();
  #cursor = 0;
  #from = Number.POSITIVE_INFINITY;
  #until = Number.POSITIVE_INFINITY;

  constructor(server: EventStreamsServer, store: Store) {
    this.#server = server;
    this.#store = store;
  }

  /** Events that leave the server from `at` (epoch ms) on are measured… */
  measureFrom(at: number): void {
    this.#from = at;
  }

  /** …until `at`, excluded. */
  measureUntil(at: number): void {
    this.#until = at;
  }

  get unseen(): number {
    let n = 0;
    for (const ids of this.#waiting.values()) n += ids.size;
    return n;
  }

  unseenIds(): string[] {
    return [...this.#waiting.values()].flatMap((ids) => [...ids.keys()]);
  }

  /** One round: take newly sent entries, then query each language that has unseen events. */
  async round(): Promise<void> {
    const started = performance.now();
    this.collect();
    let queried = false;
    for (const [language, ids] of this.#waiting) {
      if (ids.size === 0) continue;
      queried = true;
      await this.#find(language, ids);
    }
    if (queried) this.roundMs.push(performance.now() - started);
  }

  /** Starts waiting for the measured entries the server sent since the last call. */
  collect(): void {
    const sent = this.#server.sent;
    for (; this.#cursor < sent.length; this.#cursor += 1) {
      const entry = sent[this.#cursor]!;
      if (entry.kind !== 'event' || entry.metaId === undefined) continue;
      if (entry.sentAt < this.#from || entry.sentAt >= this.#until) continue;
      const row = toChangeRow(JSON.parse(entry.data) as RecentChange);
      let ids = this.#waiting.get(row.language);
      if (!ids) this.#waiting.set(row.language, (ids = new Map<string, Unseen>()));
      ids.set(entry.metaId, { sentAt: entry.sentAt, eventTime: entry.timestamp });
      this.measured += 1;
    }
  }

  async #find(language: string, ids: Map<string, Unseen>): Promise<void> {
    let oldest = Number.POSITIVE_INFINITY;
    for (const a of ids.values()) oldest = Math.min(oldest, a.eventTime);
    for (let offset = 0; offset <= RECENT_MAX_OFFSET; offset += RECENT_MAX_LIMIT) {
      const rows = await recentChanges(this.#store, {
        language,
        limit: RECENT_MAX_LIMIT,
        offset,
      });
      this.queries += 1;
      const seenAt = Date.now();
      for (const row of rows) {
        const unseen = ids.get(row.event_id);
        if (unseen) {
          this.latencies.push(seenAt - unseen.sentAt);
          ids.delete(row.event_id);
        }
      }
      const last = rows.at(-1);
      if (ids.size === 0 || rows.length < RECENT_MAX_LIMIT || !last) return;
      if (Date.parse(last.event_time) < oldest) return;
    }
  }
}

interface RateResult {
  rate: number;
  seconds: number;
  sent: number;
  sentPerSecond: number;
  visible: number;
  missing: number;
  latencyMs: { min: number; p50: number; p90: number; p99: number; max: number; mean: number };
  poll: { rounds: number; queries: number; roundMsP50: number; roundMsP99: number };
  /**
   * Everything the ingestor produced in this rate's run, measured or not, and where it landed;
   * and the measured events not stored at all (`missing` counts those not seen in time).
   */
  stored: {
    produced: number;
    inKafka: number;
    rows: number;
    distinct: number;
    measuredNotStored: number;
  };
  target: { met: boolean };
  /** Where what was stored differs from what was sent; empty when it agrees. */
  problems: string[];
}

async function runRate(
  rate: number,
  client: ClickHouseClient,
  database: string,
  lines: readonly string[],
  sinkBase: SinkConfig,
): Promise<RateResult> {
  const run = unique(`bench_e2e_${rate}`);
  const topics = {
    events: `${run}.events`,
    dead: `${run}.dead-letter`,
    positions: `${run}.positions`,
  };
  let onFatal: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => {
    onFatal = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
  });
  void failure.catch(() => undefined);

  const sinkMetrics = createSinkMetrics(new Registry());
  const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'wikipulse-bench-e2e', log });
  const storedBefore = await storedDistinctIds(client, database);
  const sink = new Sink({
    bus,
    topic: topics.events,
    topicPartitions: sinkBase.TOPIC_PARTITIONS,
    groupId: `${run}.sink`,
    deadLetterTopic: topics.dead,
    client,
    database,
    batchMaxRows: sinkBase.BATCH_MAX_ROWS,
    batchMaxWaitMs: sinkBase.BATCH_MAX_WAIT_MS,
    fetchMaxBytes: sinkBase.FETCH_MAX_BYTES,
    fetchMaxBytesPerPartition: sinkBase.FETCH_MAX_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: sinkBase.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: sinkBase.KAFKA_SESSION_TIMEOUT_MS,
    retryMaxMs: sinkBase.RETRY_MAX_MS,
    log: log.child({ component: 'sink' }),
    metrics: sinkMetrics,
    onFatal: (error) => onFatal(error),
  });
  await sink.start();
  // Events sent before the sink owns its partitions would wait for the group to form.
  for (const deadline = Date.now() + 60_000; !sink.readiness().kafka; await sleep(20)) {
    if (Date.now() > deadline) throw new Error('the sink did not join its group within 60 s');
  }

  const server = await startEventStreamsServer({
    lines,
    rate,
    record: true,
    startMs: Date.now(),
    stepMs: 1000 / rate,
  });
  const ingestorConfig = loadIngestorConfig({
    STREAM_URL: server.url,
    TOPIC: topics.events,
    DEAD_LETTER_TOPIC: topics.dead,
    CHECKPOINT_TOPIC: topics.positions,
    LINGER_MS: String(lingerMs),
  });
  const ingestor = createIngestorApp(ingestorConfig, {
    bus,
    log: log.child({ component: 'ingestor' }),
    registry: new Registry(),
    onFatal: (error) => onFatal(error),
  });
  let ingestorClosed = false;
  const closeIngestor = async () => {
    if (ingestorClosed) return;
    ingestorClosed = true;
    await ingestor.close();
  };
  const poller = new VisibilityPoller(server, { client, database });
  const polling = new AbortController();
  const pollLoop = (async () => {
    while (!polling.signal.aborted) {
      await poller.round();
      await sleep(pollMs);
    }
  })();

  try {
    await ingestor.start();
    await Promise.race([failure, sleep(warmupSeconds * 1000)]);
    const from = Date.now();
    poller.measureFrom(from);
    progress(`${rate} events/s: measuring for ${seconds} s`);
    await Promise.race([failure, sleep(seconds * 1000)]);
    const until = Date.now();
    poller.measureUntil(until);
    // Entries sent just before `until` are in the server's record but maybe not yet collected.
    poller.collect();
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (poller.unseen > 0 && Date.now() < drainDeadline) {
      await Promise.race([failure, sleep(50)]);
    }
    polling.abort();
    await pollLoop;

    // Stopped, the ingestor has every event it produced acknowledged; the sink then drains the
    // topic, and ClickHouse must hold each of those events once (not only the measured ones).
    await closeIngestor();
    const produced = ingestor.stats.produced;
    const inKafka = [...(await bus.endOffsets(topics.events)).values()].reduce(
      (sum, offset) => sum + Number(offset),
      0,
    );
    const drained = await Promise.race([
      failure,
      waitForCommit(bus, `${run}.sink`, topics.events, DRAIN_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
    ]);
    const storedAfter = await storedDistinctIds(client, database);
    const stored: StoredCount = {
      total: storedAfter.total - storedBefore.total,
      distinct: storedAfter.distinct - storedBefore.distinct,
    };
    const unseen = poller.unseenIds();
    const measuredNotStored = unseen.length - (await countStored(client, database, unseen));
    const problems = [
      measuredNotStored > 0 &&
        `${rate}/s: ${measuredNotStored} of ${poller.measured} measured events the server sent were never stored`,
      inKafka !== produced &&
        `${rate}/s Kafka: ${inKafka} messages for the ${produced} events the ingestor produced`,
      !drained &&
        `${rate}/s: the sink did not commit the whole topic within ${DRAIN_TIMEOUT_MS} ms`,
      storedMismatch(`${rate}/s ClickHouse`, produced, stored),
    ].filter((p): p is string => typeof p === 'string');

    const latencies = poller.latencies;
    const sent = poller.measured;
    const windowSeconds = (until - from) / 1000;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      rate,
      seconds: round(windowSeconds, 2),
      sent,
      sentPerSecond: round(sent / windowSeconds),
      visible: latencies.length,
      missing: poller.unseen,
      latencyMs: {
        min: percentile(latencies, 0),
        p50,
        p90: percentile(latencies, 90),
        p99,
        max: latencies.reduce((m, v) => Math.max(m, v), 0),
        mean: round(latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length)),
      },
      poll: {
        rounds: poller.roundMs.length,
        queries: poller.queries,
        roundMsP50: round(percentile(poller.roundMs, 50)),
        roundMsP99: round(percentile(poller.roundMs, 99)),
      },
      stored: {
        produced,
        inKafka,
        rows: stored.total,
        distinct: stored.distinct,
        measuredNotStored,
      },
      target: {
        met:
          poller.unseen === 0 && latencies.length > 0 && p50 <= TARGET.p50Ms && p99 <= TARGET.p99Ms,
      },
      problems,
    };
  } finally {
    polling.abort();
    await pollLoop;
    await closeIngestor();
    await server.stop();
    await sink.stop();
    await bus.deleteTopics(Object.values(topics)).catch(() => undefined);
  }
}

/** How many of the given event ids `changes` holds. */
async function countStored(
  client: ClickHouseClient,
  database: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await client.query({
    query: `SELECT count() AS n FROM ${assertIdentifier(database)}.changes FINAL WHERE event_id IN {ids:Array(UUID)}`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  return Number(row?.n ?? 0);
}

const lines = recordedLines();
const sinkBase = loadSinkConfig({ BATCH_MAX_WAIT_MS: String(batchWaitMs) });
const root = await mkdtemp(join(tmpdir(), 'wikipulse-bench-e2e-'));
const client = openClickHouse({ kind: 'embedded', path: join(root, 'clickhouse') });
const database = sinkBase.CLICKHOUSE_DATABASE;
const loadBefore = loadavg().map((l) => round(l, 2));
try {
  await migrate(client, { database, retentionDays: DEFAULT_RETENTION_DAYS, owner: 'local' });
  const results: RateResult[] = [];
  for (const rate of rates) results.push(await runRate(rate, client, database, lines, sinkBase));
  reportBench(
    'e2e',
    {
      benchmark: 'e2e',
      path: 'local EventStreams server → ingestor → Kafka → sink → embedded ClickHouse → recentChanges',
      visibility:
        'latency = Date.now() after the first recentChanges page (limit 100, paged by offset per ' +
        'language) that returned the event − Date.now() when the server wrote its chunk to the ' +
        'socket; the poller queries every language with unseen events, then pauses pollMs',
      settings: {
        warmupSeconds,
        pollMs,
        sink: {
          BATCH_MAX_WAIT_MS: sinkBase.BATCH_MAX_WAIT_MS,
          BATCH_MAX_ROWS: sinkBase.BATCH_MAX_ROWS,
          TOPIC_PARTITIONS: sinkBase.TOPIC_PARTITIONS,
        },
        ingestor: { LINGER_MS: lingerMs, COMPRESSION: 'none', acks: 'all' },
        kafkaBrokers: brokers,
      },
      rates: results,
      target: { ...TARGET, met: results.every((r) => r.target.met) },
      machine: {
        cpus: cpus().length,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
    },
    results.flatMap((r) => r.problems),
  );
} finally {
  await client.close();
  await rm(root, { recursive: true, force: true });
  await kafka.stop();
}
