/**
 * `npm run bench:sink [-- --events N] [-- --batch-rows N]`: fills a fresh topic with N
 * real-shaped events, times the built sink (a child process, as deployed) draining it into its
 * own embedded ClickHouse, then inserts the same number of rows straight into a fresh engine
 * (no Kafka, no sink) for the machine's limit. Prints one JSON object on stdout; progress goes
 * to stderr.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { RecentChange } from '@wikipulse/events';
import { KafkaBus } from '@wikipulse/kafka';
import { migrate, openClickHouse, toChangeRow } from '@wikipulse/store';
import {
  freshEvents,
  percentile,
  repoRoot,
  round,
  storedDistinctIds,
  waitForCommit,
} from '@wikipulse/testing';
import { randomBytes } from 'node:crypto';
import { sleep } from '../retry.js';

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
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
const progress = (msg: string) => process.stderr.write(`[bench:sink] ${msg}\n`);
const unique = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const START_MS = Date.UTC(2026, 10, 1);
const STEP_MS = 50;

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
  insertMs: number[];
  peakRssBytes: number;
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
}

/** Runs the built sink until the group has committed the whole topic. */
async function runSink(bus: KafkaBus, topic: string, dataPath: string): Promise<SinkRun> {
  const groupId = unique('bench-sink');
  // The heap cap `npm run sink` and the container use (see the README).
  const nodeArgs = ['--max-old-space-size=192'];
  const mainJs = join(repoRoot, 'apps', 'sink', 'dist', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, mainJs], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP_ID: groupId,
      DEAD_LETTER_TOPIC: unique('bench-dead'),
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
        port?: number;
        level?: string;
      };
      if (entry.msg === 'batch inserted' && entry.ms !== undefined) insertMs.push(entry.ms);
      else if (entry.msg === 'ops server listening') metricsPort = entry.port;
      else if (entry.msg === 'consuming') {
        consumingAt = performance.now();
        resolve();
      } else if (entry.level === 'error' || entry.level === 'fatal') progress(line);
    });
  });
  let peakHeapUsedBytes = 0;
  let peakHeapTotalBytes = 0;
  let peakRssBytes = 0;
  const poll = setInterval(() => {
    if (metricsPort === undefined) return;
    void fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        const read = (name: string) =>
          Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
        peakHeapUsedBytes = Math.max(peakHeapUsedBytes, read('nodejs_heap_size_used_bytes'));
        peakHeapTotalBytes = Math.max(peakHeapTotalBytes, read('nodejs_heap_size_total_bytes'));
      })
      .catch(() => undefined);
  }, 100);
  await consuming;
  await waitForCommit(bus, groupId, topic, 30 * 60_000);
  const seconds = (performance.now() - consumingAt!) / 1000;
  clearInterval(poll);
  // The kernel's high-water mark of the child's resident memory, read before it exits.
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  peakRssBytes = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`sink exited with ${code}`);
  return { seconds, insertMs, peakRssBytes, peakHeapUsedBytes, peakHeapTotalBytes };
}

/** The same rows inserted straight into a fresh engine in batches of the same size. */
async function engineRate(dataPath: string): Promise<{ seconds: number; rows: number }> {
  const client = openClickHouse({ kind: 'embedded', path: dataPath });
  try {
    await migrate(client, { database: 'wikipulse', retentionDays: 3650 });
    const source = freshEvents({ startMs: START_MS, stepMs: STEP_MS });
    let seconds = 0;
    for (let done = 0; done < events;) {
      const size = Math.min(batchRows, events - done);
      const rows = Array.from({ length: size }, () =>
        toChangeRow(source.next().value as RecentChange),
      );
      const started = performance.now();
      await client.insert({
        table: 'wikipulse.changes',
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: { input_format_json_read_objects_as_strings: 1 },
      });
      seconds += (performance.now() - started) / 1000;
      done += size;
    }
    return { seconds, rows: (await storedDistinctIds(client, 'wikipulse')).total };
  } finally {
    await client.close();
  }
}

const bus = new KafkaBus({ brokers, clientId: 'wikipulse-bench-sink' });
const topic = unique('bench-sink');
const root = await mkdtemp(join(tmpdir(), 'wikipulse-bench-sink-'));
try {
  progress(`pre-filling ${topic} with ${events} events in ${partitions} partitions`);
  const prefillSeconds = await prefill(bus, topic);
  progress(`pre-filled in ${prefillSeconds.toFixed(1)} s; starting the sink`);
  const sinkPath = join(root, 'sink');
  const sink = await runSink(bus, topic, sinkPath);
  progress(`sink drained the topic in ${sink.seconds.toFixed(1)} s; checking what it stored`);
  const checkClient = openClickHouse({ kind: 'embedded', path: sinkPath });
  const stored = await storedDistinctIds(checkClient, 'wikipulse');
  await checkClient.close();
  await sleep(100);
  progress('inserting the same rows straight into a fresh engine');
  const engine = await engineRate(join(root, 'engine'));
  const sinkRate = Math.round(events / sink.seconds);
  const engineRowsPerSecond = Math.round(events / engine.seconds);
  const ratio = round(sinkRate / engineRowsPerSecond, 2);
  console.log(
    JSON.stringify({
      benchmark: 'sink',
      events,
      partitions,
      batchMaxRows: batchRows,
      sink: {
        rowsPerSecond: sinkRate,
        seconds: round(sink.seconds, 2),
        storedDistinct: stored.distinct,
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
        stored: engine.rows,
      },
      prefill: {
        seconds: round(prefillSeconds, 2),
        eventsPerSecond: Math.round(events / prefillSeconds),
      },
      sinkToEngine: ratio,
      target: {
        met:
          (sinkRate >= 100_000 || ratio >= 0.7) &&
          sink.peakHeapUsedBytes <= 200 * 1024 * 1024 &&
          stored.distinct === events,
        rowsPerSecond: 100_000,
        orEngineRatio: 0.7,
        heapMiB: 200,
      },
    }),
  );
} finally {
  // The topic holds about 1.3 KB per event on the broker's disk.
  const admin = bus.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await rm(root, { recursive: true, force: true });
}
