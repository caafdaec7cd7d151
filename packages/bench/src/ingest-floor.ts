/**
 * `npm run bench:ingest-floor`: what the ingestor's libraries cost alone, on this machine, with
 * the events and the Node settings of `bench:ingest`. Three stages run one after the other, each
 * in a process of its own (`ingest-floor-stage.ts`):
 *
 * - `read`: the ingestor's stream client (`eventsource`) reads the local EventStreams server,
 *   which sends as fast as it can;
 * - `parse`: the same, and `JSON.parse` of every event;
 * - `produce`: the ingestor's Kafka producer writes the same events to a real broker, idempotent
 *   with acks=all, in the ingestor's batches (BATCH_MAX_EVENTS) and writes in flight
 *   (MAX_IN_FLIGHT).
 *
 * Every event the ingestor stores goes through all three, and through its own work besides
 * (validation, canaries, filters, deduplication, dead letters, positions, metrics, pacing), so
 * `parse` plus `produce` CPU per 1,000 events is a floor under `bench:ingest`'s
 * `ingestorCpuMsPer1000Events`. One JSON object goes to stdout. The run exits 1 when the topic
 * does not hold exactly the events the producer had acknowledged.
 *
 * BENCH_SECONDS (default 15) measured per stage after BENCH_WARMUP_SECONDS (default 5);
 * KAFKA_BROKERS, KAFKA_TLS*, KAFKA_SASL_*, BATCH_MAX_EVENTS, MAX_IN_FLIGHT and TOPIC_PARTITIONS
 * as for the ingestor; BENCH_NODE_FLAGS, MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ as for
 * `bench:ingest`.
 */
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaConnection } from '@wikipulse/config';
import type { RecentChange } from '@wikipulse/events';
import { HEADER, loadEnv, messageKey } from '@wikipulse/ingestor';
import { KafkaBus, type OutgoingMessage } from '@wikipulse/kafka';
import {
  BenchSetupError,
  benchKafka,
  exitOnSetupError,
  recordedLines,
  reportBench,
  round,
  startEventStreamsServer,
} from '@wikipulse/testing';
import type { FromStage, Stage, StageSettings, ToStage } from './ingest-floor-stage.js';
import { ingestorMalloc, ingestorNodeFlags } from './ingestor-runtime.js';
import { cpuSeconds, hwmKb, rssKb } from './proc.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 15);
const warmup = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 5);
const progress = (msg: string) => process.stderr.write(`[bench:ingest-floor] ${msg}\n`);
const kafka = await benchKafka(progress).catch(exitOnSetupError('ingest-floor'));
// The ingestor's own settings, read the way it reads them.
const env = loadEnv([], { ...process.env, KAFKA_BROKERS: kafka.brokers.join(',') });
const connection = kafkaConnection(env);
const bus = new KafkaBus({ ...connection, clientId: 'wikipulse-bench' });

const lines = recordedLines();
const messages = lines.map((line): OutgoingMessage => {
  const event = JSON.parse(line) as RecentChange;
  return { key: messageKey(event), value: line, headers: { [HEADER.metaId]: event.meta.id } };
});
const server = await startEventStreamsServer({ lines, stepMs: 0.02, startMs: Date.now() - 60_000 });
const topic = `bench_ingest_floor_${Date.now().toString(36)}`;
// A refused connection (credentials, certificates) ends the run in one line, before any stage.
await bus
  .ensureTopics([{ topic, partitions: env.TOPIC_PARTITIONS }])
  .catch((error: unknown) => {
    throw new BenchSetupError((error as Error).message);
  })
  .catch(exitOnSetupError('ingest-floor'));

interface StageResult {
  eventsPerSecond: number;
  cpuMsPer1000Events: number;
  cpuCores: number;
  peakRssMB: number;
  /** Events handled from start to stop, warm-up included. */
  events: number;
}

const problems: (string | undefined)[] = [];
const stages: Partial<Record<Stage, StageResult>> = {};
try {
  for (const stage of ['read', 'parse', 'produce'] as const) {
    progress(`${stage}: ${warmup} s of warm-up, then ${seconds} s measured`);
    stages[stage] = await runStage(stage);
  }
} catch (error) {
  problems.push((error as Error).message);
} finally {
  await server.stop();
}

const inTopic = [...(await bus.endOffsets(topic)).values()].reduce((n, o) => n + Number(o), 0);
await bus.deleteTopics([topic]);
await kafka.stop();
// A producer that stopped cleanly had every write acknowledged: the topic holds exactly those.
const produced = stages.produce?.events;
problems.push(
  produced !== undefined && inTopic !== produced
    ? `Kafka: the topic holds ${inTopic} events, the producer had ${produced} acknowledged`
    : undefined,
);

const floor =
  (stages.parse?.cpuMsPer1000Events ?? NaN) + (stages.produce?.cpuMsPer1000Events ?? NaN);
reportBench(
  'ingest-floor',
  {
    benchmark: 'ingest-floor',
    kafka: `${connection.tls ? 'TLS' : 'plaintext'}${connection.sasl ? ` + SASL ${connection.sasl.mechanism}` : ''}`,
    secondsPerStage: seconds,
    stages,
    // Reading, parsing and producing each event, and nothing else.
    floorCpuMsPer1000Events: round(floor, 1),
    batchEvents: env.BATCH_MAX_EVENTS,
    inFlight: env.MAX_IN_FLIGHT,
    nodeFlags: ingestorNodeFlags.join(' '),
    eventsInKafka: inTopic,
  },
  problems,
);

async function runStage(stage: Stage): Promise<StageResult> {
  const child = fork(new URL('./ingest-floor-stage.js', import.meta.url), [], {
    execArgv: [...ingestorNodeFlags],
    env: { ...process.env, ...ingestorMalloc },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pid = child.pid!;
  let events = 0;
  let final: number | undefined;
  child.on('message', (message: FromStage) => {
    events = message.events;
    if (message.kind === 'done') final = message.events;
  });
  // Every message the stage sent has arrived when its channel closes.
  const disconnected = new Promise<void>((resolve) => child.once('disconnect', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = exited.then((code) => {
    throw new Error(`the ${stage} stage exited with ${code} before it was stopped`);
  });
  const tell = (message: ToStage) => child.send(message);
  let peakRssKb = 0;
  const rssTimer = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, rssKb(pid));
  }, 100);
  try {
    const settings: StageSettings = {
      stage,
      streamUrl: server.url,
      topic,
      batchEvents: env.BATCH_MAX_EVENTS,
      inFlight: env.MAX_IN_FLIGHT,
      kafka: { ...connection, clientId: 'wikipulse-bench-floor' },
      messages: stage === 'produce' ? messages : [],
    };
    tell({ kind: 'start', settings });
    await Promise.race([untilCounted(() => events > 0, stage), failed]);
    await Promise.race([sleep(warmup * 1000), failed]);
    const first = { events, cpu: cpuSeconds(pid), at: performance.now() };
    await Promise.race([sleep(seconds * 1000), failed]);
    const last = { events, cpu: cpuSeconds(pid), at: performance.now() };
    peakRssKb = Math.max(peakRssKb, hwmKb(pid));
    tell({ kind: 'stop' });
    await disconnected;
    const code = await exited;
    if (code !== 0 || final === undefined) {
      throw new Error(`the ${stage} stage ended with ${code} without its final count`);
    }
    const elapsed = (last.at - first.at) / 1000;
    const handled = last.events - first.events;
    return {
      eventsPerSecond: Math.round(handled / elapsed),
      cpuMsPer1000Events: round(((last.cpu - first.cpu) * 1000 * 1000) / Math.max(1, handled), 1),
      cpuCores: round((last.cpu - first.cpu) / elapsed, 2),
      peakRssMB: round(peakRssKb / 1024, 1),
      events: final,
    };
  } finally {
    clearInterval(rssTimer);
    failed.catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function untilCounted(done: () => boolean, stage: Stage): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`the ${stage} stage handled no event in 60 s`);
    await sleep(50);
  }
}
