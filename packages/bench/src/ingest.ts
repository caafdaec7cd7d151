/**
 * `npm run bench:ingest`: the local EventStreams server sends as fast as it can, the built
 * ingestor (a child process, as deployed) produces to a real Kafka broker with acks=all, and
 * one JSON object goes to stdout: events/s, MB/s, produce latency p50/p99, peak RSS. Once the
 * ingestor has stopped, the topic is read back: it must hold, once each, every event the server
 * sent up to the last one it holds (the ingestor reads the stream in order, so what it stored
 * is a prefix of what was sent); otherwise the run exits 1, after the JSON.
 *
 * BENCH_SECONDS (default 20) measured after BENCH_WARMUP_SECONDS (default 5); KAFKA_BROKERS
 * (the project's broker on 127.0.0.1:19092 when unset, started if none answers: see
 * `benchKafka`); BENCH_CPU_PROF=<dir> writes a V8 CPU profile of
 * the ingestor there; BENCH_NODE_FLAGS replaces the ingestor's Node flags, MALLOC_ARENA_MAX
 * (default 1) and MALLOC_MMAP_THRESHOLD_ (default 65536) its malloc settings. Other ingestor
 * variables (COMPRESSION, BATCH_MAX_EVENTS, …) pass through.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaConnection } from '@wikipulse/config';
import { createFilter, HEADER, judge, loadEnv, VerdictWriter } from '@wikipulse/ingestor';
import { KafkaBus, readTail } from '@wikipulse/kafka';
import {
  benchKafka,
  exitOnSetupError,
  freePort,
  recordedLines,
  repoRoot,
  reportBench,
  round,
  startEventStreamsServer,
  storedMismatch,
  type EventStreamsServer,
} from '@wikipulse/testing';
import { ingestorMalloc, ingestorNodeFlags } from './ingestor-runtime.js';
import { cpuSeconds, hwmKb, rssKb } from './proc.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 20);
const warmup = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 5);
const progress = (msg: string) => process.stderr.write(`[bench:ingest] ${msg}\n`);
const kafka = await benchKafka(progress).catch(exitOnSetupError('ingest'));
const brokers = kafka.brokers;
const profileDir = process.env['BENCH_CPU_PROF'];
const lines = recordedLines();
// Dated from a minute before the run: 50 events share a millisecond, so a minute lasts the run.
const server = await startEventStreamsServer({ lines, stepMs: 0.02, startMs: Date.now() - 60_000 });
const run = `bench_ingest_${Date.now().toString(36)}`;
const metricsPort = await freePort();

const child = spawn(
  process.execPath,
  [
    ...ingestorNodeFlags,
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    join(repoRoot, 'apps', 'ingestor', 'dist', 'main.js'),
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      STREAM_URL: server.url,
      KAFKA_BROKERS: brokers.join(','),
      OUTPUT: 'kafka',
      TOPIC: `${run}.events`,
      DEAD_LETTER_TOPIC: `${run}.dead-letter`,
      CHECKPOINT_TOPIC: `${run}.positions`,
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
      ...ingestorMalloc,
    },
  },
);
let peakRssKb = 0;
const rssTimer = setInterval(() => {
  peakRssKb = Math.max(peakRssKb, rssKb(child.pid!));
}, 100);

await waitForSample(metricsPort, (s) => s.produced > 0, 60_000);
await sleep(warmup * 1000);
const brokerPid = kafka.pid;
const first = await sample(metricsPort);
const firstCpu = cpuSeconds(child.pid!);
const firstServerCpu = process.cpuUsage();
const firstBrokerCpu = brokerPid ? cpuSeconds(brokerPid) : 0;
await sleep(seconds * 1000);
const last = await sample(metricsPort);
const lastCpu = cpuSeconds(child.pid!);
const serverCpu = process.cpuUsage(firstServerCpu);
const lastBrokerCpu = brokerPid ? cpuSeconds(brokerPid) : 0;
peakRssKb = Math.max(peakRssKb, hwmKb(child.pid!));

const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
child.kill('SIGTERM');
const exitCode = await exited;
clearInterval(rssTimer);
await server.stop();

// The ingestor and this check reach Kafka alike: KAFKA_TLS*, KAFKA_SASL_* pass through.
const connection = kafkaConnection(
  loadEnv([], { ...process.env, KAFKA_BROKERS: brokers.join(',') }),
);
const bus = new KafkaBus({ ...connection, clientId: 'wikipulse-bench' });
const inTopic = [...(await bus.endOffsets(`${run}.events`)).values()].reduce(
  (sum, offset) => sum + Number(offset),
  0,
);
progress(`reading the ${inTopic} events back from Kafka to check them against what was sent`);
const checkStarted = performance.now();
const check = await checkStored(bus, server);
progress(`checked in ${((performance.now() - checkStarted) / 1000).toFixed(1)} s`);
// A run writes about 1.5 GB; the broker removes the data of deleted topics.
await bus.deleteTopics([`${run}.events`, `${run}.dead-letter`, `${run}.positions`]);
await kafka.stop();

const elapsed = (last.at - first.at) / 1000;
const latency = subtractBuckets(last.buckets, first.buckets);
reportBench(
  'ingest',
  {
    benchmark: 'ingest',
    kafka: `${connection.tls ? 'TLS' : 'plaintext'}${connection.sasl ? ` + SASL ${connection.sasl.mechanism}` : ''}`,
    seconds: round(elapsed, 1),
    eventsPerSecond: Math.round((last.produced - first.produced) / elapsed),
    megabytesPerSecond: round((last.bytes - first.bytes) / elapsed / 1e6, 1),
    produceLatencyMs: {
      p50: round(quantile(latency, 0.5) * 1000, 1),
      p99: round(quantile(latency, 0.99) * 1000, 1),
    },
    peakRssMB: round(peakRssKb / 1024, 1),
    // CPU the ingestor used per 1,000 events: comparable across runs on a busy machine, where
    // events/s depend on what else runs.
    ingestorCpuMsPer1000Events: round(
      ((lastCpu - firstCpu) * 1000 * 1000) / Math.max(1, last.produced - first.produced),
      1,
    ),
    ingestorCpuCores: round((lastCpu - firstCpu) / elapsed, 2),
    // Where the rest of the machine went: the local EventStreams server (this process) and,
    // when it runs here, the broker.
    serverCpuCores: round((serverCpu.user + serverCpu.system) / 1e6 / elapsed, 2),
    brokerCpuCores: brokerPid ? round((lastBrokerCpu - firstBrokerCpu) / elapsed, 2) : null,
    eventsProduced: last.produced,
    eventsInKafka: inTopic,
    check: {
      sentUpToLastStored: check.expected,
      distinctInKafka: check.stored.distinct,
      missing: check.missing,
      notSent: check.notSent,
    },
    compression: process.env['COMPRESSION'] ?? 'none',
    nodeFlags: ingestorNodeFlags.join(' '),
    mallocArenaMax: ingestorMalloc.MALLOC_ARENA_MAX,
    mallocMmapThreshold: ingestorMalloc.MALLOC_MMAP_THRESHOLD_,
    ingestorExitCode: exitCode,
  },
  [
    exitCode !== 0 ? `the ingestor exited with ${exitCode}` : undefined,
    storedMismatch('Kafka', check.expected, check.stored),
    check.notSent > 0 ? `Kafka: ${check.notSent} event ids the server never sent` : undefined,
  ],
);

/**
 * What the events topic holds against what the server sent. The ingestor reads the stream in
 * order and was stopped cleanly, so the topic must hold exactly the events of the server's log
 * it accepts (the ingestor's own verdict: valid, not a canary, not filtered) up to the last one
 * the topic holds, each once.
 */
async function checkStored(
  bus: KafkaBus,
  server: EventStreamsServer,
): Promise<{
  expected: number;
  stored: { total: number; distinct: number };
  missing: number;
  notSent: number;
}> {
  const ids = new Set<string>();
  const total = await readTail(
    bus,
    { topic: `${run}.events`, maxPerPartition: Number.MAX_SAFE_INTEGER, timeoutMs: 10 * 60_000 },
    (message) => {
      const id = message.headers[HEADER.metaId];
      if (id !== undefined) ids.add(id);
    },
  );
  // The server cycles the recordings with fresh ids and times, so one cycle's verdicts hold
  // for every cycle.
  const env = loadEnv([], { ...process.env, KAFKA_BROKERS: brokers.join(',') });
  const filter = createFilter({ wikis: env.WIKIS, langs: env.LANGS });
  const rules = { filter, maxEventBytes: env.MAX_EVENT_BYTES };
  const accepted = lines.map(
    (_, i) => judge(new VerdictWriter(), server.log.entryAt(i)!.data, rules) === 'accepted',
  );
  let expected = 0;
  let found = 0;
  for (let i = 0; found < ids.size && i < server.counters.events; i += 1) {
    if (!accepted[i % lines.length]) continue;
    expected += 1;
    if (ids.has(server.log.entryAt(i)!.metaId!)) found += 1;
  }
  return {
    expected,
    stored: { total, distinct: ids.size },
    missing: expected - found,
    notSent: ids.size - found,
  };
}

interface Sample {
  at: number;
  produced: number;
  bytes: number;
  buckets: Map<number, number>;
}

async function sample(port: number): Promise<Sample> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(
    /^wikipulse_ingestor_produce_latency_seconds_bucket\{le="([^"]+)"[^}]*\} ([0-9.e+]+)$/gm,
  )) {
    buckets.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  }
  return {
    at: Date.now(),
    produced: value('wikipulse_ingestor_events_produced_total'),
    bytes: value('wikipulse_ingestor_received_bytes_total'),
    buckets,
  };
}

async function waitForSample(
  port: number,
  ok: (s: Sample) => boolean,
  timeoutMs: number,
): Promise<Sample> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await sample(port);
      if (ok(s)) return s;
    } catch {
      // The ingestor's ops server is not listening yet.
    }
    if (Date.now() > deadline) throw new Error('the ingestor produced nothing');
    await sleep(100);
  }
}

function subtractBuckets(a: Map<number, number>, b: Map<number, number>): [number, number][] {
  return [...a.entries()].sort((x, y) => x[0] - y[0]).map(([le, n]) => [le, n - (b.get(le) ?? 0)]);
}

/** A quantile from cumulative histogram buckets, interpolated linearly inside its bucket. */
function quantile(buckets: [number, number][], q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return previousLe;
      const inBucket = count - previousCount;
      return (
        previousLe + (inBucket === 0 ? 0 : ((rank - previousCount) / inBucket) * (le - previousLe))
      );
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}
