/**
 * `npm run bench:sink [-- --events N] [-- --batch-rows N]`: fills a fresh topic with N
 * real-shaped events dated over the hours before the run, times the built sink (a child
 * process, as deployed) draining it into its own embedded ClickHouse, then inserts the same
 * number of rows straight into a fresh engine (no Kafka, no sink) for the machine's limit.
 * Prints one JSON object on stdout; progress goes to stderr. Exits 1 when either store holds
 * other than the events sent, each once; 2 when no Kafka broker can be had (see `benchKafka`).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { DEFAULT_RETENTION_DAYS } from '@wikipulse/config';
import type { RecentChange } from '@wikipulse/events';
import { KafkaBus } from '@wikipulse/kafka';
import { sleep } from '@wikipulse/lifecycle';
import { decodeMessage } from '@wikipulse/sink';
import { migrate, openClickHouse, toChangeRow } from '@wikipulse/store';
import {
  benchKafka,
  exitOnSetupError,
  freshEvents,
  percentile,
  recordedEvents,
  repoRoot,
  reportBench,
  round,
  storedDistinctIds,
  storedMismatch,
  takeFreshEvents,
  waitForCommit,
} from '@wikipulse/testing';
import { cpuSeconds, hwmKb } from './proc.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    'batch-rows': { type: 'string', default: '5000' },
    partitions: { type: 'string', default: '6' },
  },
});
const events = Number(args.events);
const batchRows = Number(args['batch-rows']);
const partitions = Number(args.partitions);
const progress = (msg: string) => process.stderr.write(`[bench:sink] ${msg}\n`);
const kafka = await benchKafka(progress).catch(exitOnSetupError('sink'));
const brokers = kafka.brokers;
const unique = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
// Events must lie inside the sink's retention, or ClickHouse drops them at insert and the run
// stores nothing: they end a minute before the run and span at most a day (at most 50 ms apart).
const retentionDays = DEFAULT_RETENTION_DAYS;
const STEP_MS = Math.min(50, Math.floor(86_400_000 / Math.max(1, events)));
const START_MS = Date.now() - 60_000 - events * STEP_MS;

// The Node flags `npm run sink` and the container use (see docs/sink.md), or BENCH_NODE_FLAGS.
const nodeArgs = (
  process.env['BENCH_NODE_FLAGS'] ?? '--max-old-space-size=192 --max-semi-space-size=32'
)
  .split(' ')
  .filter((flag) => flag !== '');
const mb = (bytes: number) => round(bytes / 2 ** 20);

async function prefill(bus: KafkaBus, topic: string): Promise<number> {
  await bus.ensureTopics([{ topic, partitions }]);
  const producer = await bus.producer();
  const started = performance.now();
  const source = freshEvents({ startMs: START_MS, stepMs: STEP_MS });
  const chunk = 500;
  const inFlight = 8;
  for (let sent = 0; sent < events;) {
    const sends: Promise<void>[] = [];
    for (let k = 0; k < inFlight && sent < events; k += 1) {
      const size = Math.min(chunk, events - sent);
      const messages = Array.from({ length: size }, () => {
        const event = source.next().value as RecentChange;
        return { key: event.meta.id, value: JSON.stringify(event) };
      });
      sends.push(producer.send(topic, messages));
      sent += size;
    }
    await Promise.all(sends);
  }
  await producer.close();
  return (performance.now() - started) / 1000;
}

interface SinkRun {
  seconds: number;
  /** CPU the sink process used (all its threads, the engine's included) while draining. */
  cpuSeconds: number;
  /** The sink's own count of rows ClickHouse dropped for being past retention. */
  rowsPastRetention: number;
  insertMs: number[];
  peakRssBytes: number;
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
}

/** Runs the built sink until the group has committed the whole topic. */
async function runSink(
  bus: KafkaBus,
  topic: string,
  deadLetterTopic: string,
  dataPath: string,
): Promise<SinkRun> {
  const groupId = unique('bench-sink');
  // The sink runs no DDL: the schema first, as `npm run migrate` applies it.
  await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'apps', 'sink', 'dist', 'migrate.js')],
    {
      env: { ...process.env, CLICKHOUSE_PATH: dataPath, RETENTION_DAYS: String(retentionDays) },
    },
  );
  const mainJs = join(repoRoot, 'apps', 'sink', 'dist', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, mainJs], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP_ID: groupId,
      DEAD_LETTER_TOPIC: deadLetterTopic,
      CLICKHOUSE_PATH: dataPath,
      BATCH_MAX_ROWS: String(batchRows),
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const insertMs: number[] = [];
  let consumingAt: number | undefined;
  let metricsPort: number | undefined;
  const consuming = new Promise<void>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`sink exited early with ${code}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as {
        msg?: string;
        ms?: number;
        metricsPort?: number;
        level?: string;
      };
      if (entry.msg === 'batch inserted' && entry.ms !== undefined) insertMs.push(entry.ms);
      else if (entry.msg === 'ops server listening') metricsPort = entry.metricsPort;
      else if (entry.msg === 'consuming') {
        consumingAt = performance.now();
        resolve();
      } else if (entry.level === 'error' || entry.level === 'fatal') progress(line);
    });
  });
  let peakHeapUsedBytes = 0;
  let peakHeapTotalBytes = 0;
  let peakRssBytes = 0;
  const metrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return (name: string) =>
      Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  const poll = setInterval(() => {
    if (metricsPort === undefined) return;
    void metrics()
      .then((read) => {
        peakHeapUsedBytes = Math.max(peakHeapUsedBytes, read('nodejs_heap_size_used_bytes'));
        peakHeapTotalBytes = Math.max(peakHeapTotalBytes, read('nodejs_heap_size_total_bytes'));
      })
      .catch(() => undefined);
  }, 500);
  await consuming;
  const cpuAtStart = cpuSeconds(child.pid!);
  await waitForCommit(bus, groupId, topic, 30 * 60_000);
  const seconds = (performance.now() - consumingAt!) / 1000;
  const cpu = cpuSeconds(child.pid!) - cpuAtStart;
  clearInterval(poll);
  const rowsPastRetention = (await metrics())('wikipulse_sink_rows_past_retention_total');
  // The kernel's high-water mark of the child's resident memory, read before it exits.
  peakRssBytes = hwmKb(child.pid!) * 1024;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`sink exited with ${code}`);
  return {
    seconds,
    cpuSeconds: cpu,
    rowsPastRetention,
    insertMs,
    peakRssBytes,
    peakHeapUsedBytes,
    peakHeapTotalBytes,
  };
}

/** The same rows inserted straight into a fresh engine in batches of the same size. */
async function engineRate(dataPath: string): Promise<{
  seconds: number;
  cpuSeconds: number;
  stored: { total: number; distinct: number };
}> {
  const client = openClickHouse({ kind: 'embedded', path: dataPath });
  try {
    await migrate(client, { database: 'wikipulse', retentionDays, owner: 'local' });
    const source = freshEvents({ startMs: START_MS, stepMs: STEP_MS });
    let seconds = 0;
    let cpuMicros = 0;
    for (let done = 0; done < events;) {
      const size = Math.min(batchRows, events - done);
      const rows = Array.from({ length: size }, () =>
        toChangeRow(source.next().value as RecentChange),
      );
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await client.insert({
        table: 'wikipulse.changes',
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: { input_format_json_read_objects_as_strings: 1 },
      });
      seconds += (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      cpuMicros += cpu.user + cpu.system;
      done += size;
    }
    return {
      seconds,
      cpuSeconds: cpuMicros / 1e6,
      stored: await storedDistinctIds(client, 'wikipulse'),
    };
  } finally {
    await client.close();
  }
}

/**
 * How many of the first `count` events the sink should store: `freshEvents` cycles the
 * recordings, so one cycle decoded as the sink decodes says which are rows (not canaries, not
 * dead letters).
 */
function expectedRows(count: number): number {
  const cycle = recordedEvents().length;
  const isRow = takeFreshEvents(cycle).map(
    (event) => decodeMessage({ value: Buffer.from(JSON.stringify(event)) }).kind === 'row',
  );
  let rows = 0;
  for (let i = 0; i < count; i += 1) if (isRow[i % cycle]) rows += 1;
  return rows;
}

const bus = new KafkaBus({ brokers, clientId: 'wikipulse-bench-sink' });
const topic = unique('bench-sink');
const deadLetterTopic = unique('bench-dead');
const root = await mkdtemp(join(tmpdir(), 'wikipulse-bench-sink-'));
try {
  progress(`pre-filling ${topic} with ${events} events in ${partitions} partitions`);
  const prefillSeconds = await prefill(bus, topic);
  progress(`pre-filled in ${prefillSeconds.toFixed(1)} s; starting the sink`);
  const sinkPath = join(root, 'sink');
  const sink = await runSink(bus, topic, deadLetterTopic, sinkPath);
  progress(`sink drained the topic in ${sink.seconds.toFixed(1)} s; checking what it stored`);
  const checkClient = openClickHouse({ kind: 'embedded', path: sinkPath });
  const stored = await storedDistinctIds(checkClient, 'wikipulse');
  await checkClient.close();
  await sleep(100);
  progress('inserting the same rows straight into a fresh engine');
  const engine = await engineRate(join(root, 'engine'));
  const expected = expectedRows(events);
  const sinkMismatch = storedMismatch("the sink's ClickHouse", expected, stored);
  const sinkRate = Math.round(events / sink.seconds);
  const engineRowsPerSecond = Math.round(events / engine.seconds);
  const ratio = round(sinkRate / engineRowsPerSecond, 2);
  reportBench(
    'sink',
    {
      benchmark: 'sink',
      events,
      partitions,
      batchMaxRows: batchRows,
      nodeFlags: nodeArgs.join(' '),
      eventTimes: { from: new Date(START_MS).toISOString(), stepMs: STEP_MS },
      retentionDays,
      sink: {
        rowsPerSecond: sinkRate,
        seconds: round(sink.seconds, 2),
        // Comparable across runs on a busy machine, where rows/s depend on what else runs.
        cpuMsPer1000Rows: round((sink.cpuSeconds * 1e6) / events, 1),
        expectedRows: expected,
        storedRows: stored.total,
        storedDistinct: stored.distinct,
        rowsPastRetention: sink.rowsPastRetention,
        inserts: sink.insertMs.length,
        insertLatencyMs: {
          p50: percentile(sink.insertMs, 50),
          p99: percentile(sink.insertMs, 99),
        },
        peakRssMiB: mb(sink.peakRssBytes),
        peakHeapUsedMiB: mb(sink.peakHeapUsedBytes),
        peakHeapTotalMiB: mb(sink.peakHeapTotalBytes),
        // The engine runs inside the sink's process: what is not V8 heap is mostly ClickHouse.
        rssOutsideHeapMiB: mb(sink.peakRssBytes - sink.peakHeapTotalBytes),
      },
      engine: {
        rowsPerSecond: engineRowsPerSecond,
        seconds: round(engine.seconds, 2),
        cpuMsPer1000Rows: round((engine.cpuSeconds * 1e6) / events, 1),
        storedRows: engine.stored.total,
        storedDistinct: engine.stored.distinct,
      },
      prefill: {
        seconds: round(prefillSeconds, 2),
        eventsPerSecond: Math.round(events / prefillSeconds),
      },
      sinkToEngine: ratio,
      target: {
        met: (sinkRate >= 100_000 || ratio >= 0.7) && sink.peakHeapUsedBytes <= 200 * 1024 * 1024,
        rowsPerSecond: 100_000,
        orEngineRatio: 0.7,
        heapMiB: 200,
      },
    },
    [
      sinkMismatch &&
        (sink.rowsPastRetention > 0
          ? `${sinkMismatch}; the sink counted ${sink.rowsPastRetention} rows past the ${retentionDays}-day retention`
          : sinkMismatch),
      // The engine alone gets every event as a row, without the sink's validation.
      storedMismatch('the engine alone', events, engine.stored),
    ],
  );
} finally {
  // The topic holds about 1.3 KB per event on the broker's disk.
  await bus.deleteTopics([topic, deadLetterTopic]).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
  await kafka.stop();
}
