import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'discord.js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CommandSigner,
  commandRecord,
  createCommandProcessor,
  readBotEnv,
  startCommandWorker,
  startGateway,
} from '@wikipulse/bot';
import { KafkaBus, readTail, type Consumer, type KafkaConnection } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { createSinkMetrics, Sink } from '@wikipulse/sink';
import { migrate } from '@wikipulse/store';
import {
  readRecording,
  recordingsDir,
  repoRoot,
  startEventStreamsServer,
  type EventStreamsServer,
} from '@wikipulse/testing';
import { DiscordDouble, user } from '@wikipulse/testing/discord';
import {
  kafkaSecure,
  kafkaSecureConnection,
  kafkaSecureMissing,
  openTestClickHouse,
  uniqueName,
  type KafkaSecureInfo,
} from '@wikipulse/testing/vitest';

const run = promisify(execFile);
const ingestorMain = join(repoRoot, 'apps', 'ingestor', 'dist', 'main.js');
const kafkaScript = join(repoRoot, 'tools', 'kafka', 'kafka.sh');
const TOKEN = 'test-token-pipeline';
/** Short, so the outage below outlasts it several times over. */
const DELIVERY_TIMEOUT_MS = 4_000;
const log = createLogger({ name: 'pipeline-test', level: 'silent' });

const recording = readRecording(join(recordingsDir, 'multiwiki-2026-09-17-24.jsonl'));
// A valid event of 2 MB, twice what Kafka takes by default: only its size is wrong.
const huge = JSON.stringify({
  ...(JSON.parse(recording[0]!) as Record<string, unknown>),
  comment: 'Zürich '.repeat(300_000),
});
const lines = [...recording, huge];

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A broker of the test's own, on its own ports, so that stopping it disturbs no other test. */
async function privateBroker(): Promise<{
  brokers: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}> {
  const home = await mkdtemp(join(tmpdir(), 'wikipulse-outage-kafka-'));
  const env = {
    ...process.env,
    KAFKA_HOME_DIR: home,
    KAFKA_PORT: '19792',
    KAFKA_CONTROLLER_PORT: '19793',
    KAFKA_SASL_PORT: '19794',
  };
  const kafka = (command: string) =>
    run('bash', [kafkaScript, command], { env, maxBuffer: 16 * 1024 * 1024 });
  await kafka('start');
  cleanup.push(async () => {
    await kafka('stop');
    await rm(home, { recursive: true, force: true });
  });
  return {
    brokers: ['127.0.0.1:19792'],
    stop: async () => {
      await kafka('stop');
    },
    start: async () => {
      await kafka('start');
    },
  };
}

/** The ingestor's variables for a connection (files for what deployments mount as files). */
function kafkaVariables(
  connection: KafkaConnection,
  secure?: KafkaSecureInfo,
): Record<string, string> {
  const vars: Record<string, string> = {
    KAFKA_BROKERS: connection.brokers.join(','),
    KAFKA_DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
  };
  if (secure && connection.sasl) {
    vars['KAFKA_TLS_CA_FILE'] = secure.caFile;
    vars['KAFKA_SASL_MECHANISM'] = connection.sasl.mechanism;
    vars['KAFKA_SASL_USERNAME'] = connection.sasl.username!;
    vars['KAFKA_SASL_PASSWORD'] = connection.sasl.password!;
  }
  return vars;
}

/** Runs the ingestor as Kubernetes would: its own process, started again whenever it exits. */
function superviseIngestor(env: Record<string, string>): {
  restarts: () => number;
  stderr: string[];
} {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  const stderr: string[] = [];
  const start = () => {
    child = spawn(process.execPath, [ingestorMain], {
      env: {
        PATH: process.env['PATH'] ?? '',
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        STALL_TIMEOUT_MS: '2000',
        RECONNECT_MIN_MS: '50',
        RECONNECT_MAX_MS: '500',
        CHECKPOINT_INTERVAL_MS: '200',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    child.once('exit', () => {
      if (stopping) return;
      restarts += 1;
      setTimeout(start, 500);
    });
  };
  start();
  cleanup.push(async () => {
    stopping = true;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { restarts: () => restarts, stderr };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Pipeline {
  server: EventStreamsServer;
  sink: Sink;
  stored(): Promise<{ rows: number; distinct: number; counted: number }>;
  expected(): Set<string>;
  ping(): Promise<void>;
  /** Sends `!ping` and does not wait for the answer. */
  pingNoWait(): void;
  fatal: Error[];
  workerRunning(): boolean;
  gatewayHealthy(): boolean;
  ingestor: { restarts: () => number; stderr: string[] };
  deadLetters(): Promise<{ reason: string | undefined; bytes: number }[]>;
}

/** EventStreams → ingestor (a process) → Kafka → sink → ClickHouse, and the bot's gateway → Kafka → worker. */
async function startPipeline(
  connection: KafkaConnection,
  secure?: KafkaSecureInfo,
): Promise<Pipeline> {
  const bus = new KafkaBus({
    ...connection,
    clientId: 'wikipulse-pipeline-test',
    deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
    log,
  });
  const topic = uniqueName('pipeline');
  const commandsTopic = `${topic}.commands`;
  const total = 1_600;
  const server = await startEventStreamsServer({
    lines,
    limit: total,
    rate: 80,
    stepMs: 10,
    canaryEvery: 53,
    duplicateEvery: 31,
  });
  cleanup.push(() => server.stop());

  const ch = await openTestClickHouse();
  cleanup.push(() => ch.close());
  await migrate(ch.client, { database: ch.database, retentionDays: 30, owner: 'local' });
  await bus.ensureTopics([
    { topic, partitions: 3 },
    { topic: commandsTopic, partitions: 2 },
  ]);

  const ingestor = superviseIngestor({
    STREAM_URL: server.url,
    ...kafkaVariables(connection, secure),
    TOPIC: topic,
    DEAD_LETTER_TOPIC: `${topic}.dead`,
    CHECKPOINT_TOPIC: `${topic}.positions`,
    TOPIC_PARTITIONS: '3',
  });

  const fatal: Error[] = [];
  const sink = new Sink({
    bus,
    topic,
    topicPartitions: 3,
    groupId: `${topic}.sink`,
    deadLetterTopic: `${topic}.sink-dead`,
    client: ch.client,
    database: ch.database,
    batchMaxRows: 400,
    batchMaxWaitMs: 200,
    fetchMaxBytes: 4 * 1024 * 1024,
    fetchMaxBytesPerPartition: 1024 * 1024,
    partitionsConsumedConcurrently: 1,
    sessionTimeoutMs: 10_000,
    retryMaxMs: 1_000,
    log,
    metrics: createSinkMetrics(new Registry()),
    onFatal: (error) => fatal.push(error),
  });
  await sink.start();
  cleanup.push(() => sink.stop());

  const discord = await new DiscordDouble({ token: TOKEN }).start();
  cleanup.push(() => discord.close());
  const guild = discord.addGuild({ ownerId: user('owner').id, channels: 1 });
  const botEnv = readBotEnv({ DISCORD_API_URL: discord.apiUrl, DISCORD_TOKEN: TOKEN });
  const store = { client: ch.client, database: ch.database };
  const { process: processCommand } = createCommandProcessor(botEnv, store, TOKEN, log);
  // Gateway and worker share this process, and so a key of this process alone.
  const signer = CommandSigner.random();
  const worker: Consumer = await startCommandWorker({
    bus,
    topic: commandsTopic,
    groupId: `${topic}.workers`,
    process: processCommand,
    signer,
    log,
    concurrency: 2,
  });
  cleanup.push(() => worker.close());
  const producer = await bus.producer();
  cleanup.push(() => producer.close());
  const gateway: Client = await startGateway({
    token: TOKEN,
    apiUrl: discord.apiUrl,
    prefix: '!',
    prefixCommands: true,
    log,
    submit: (request) =>
      producer.send(commandsTopic, [commandRecord(signer, commandsTopic, request)]),
  });
  cleanup.push(() => gateway.destroy());

  return {
    server,
    sink,
    ingestor,
    fatal,
    pingNoWait: () => void discord.sendMessage({ guild, author: user('pinger'), content: '!ping' }),
    workerRunning: () => worker.isRunning(),
    gatewayHealthy: () => producer.isHealthy(),
    expected: () => {
      const ids = new Set<string>();
      for (let i = 0; i < total; i += 1) {
        const entry = server.log.entryAt(i)!;
        if (entry.kind === 'event' && entry.data.length < 1_000_000) ids.add(entry.metaId!);
      }
      return ids;
    },
    stored: async () => {
      const result = await ch.client.query({
        query: `SELECT
            (SELECT count() FROM ${ch.database}.changes FINAL) AS rows,
            (SELECT uniqExact(event_id) FROM ${ch.database}.changes) AS distinct,
            (SELECT sum(n) FROM (
              SELECT uniqExactMerge(events) AS n FROM ${ch.database}.daily_counts
              GROUP BY day, language, wiki, type, bot
            )) AS counted`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ rows: string; distinct: string; counted: string }>();
      return {
        rows: Number(row!.rows),
        distinct: Number(row!.distinct),
        counted: Number(row!.counted),
      };
    },
    ping: async () => {
      const id = discord.sendMessage({ guild, author: user('pinger'), content: '!ping' });
      await discord.waitFor(
        (r) =>
          (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
        30_000,
      );
    },
    deadLetters: async () => {
      const letters: { reason: string | undefined; bytes: number }[] = [];
      await readTail(bus, { topic: `${topic}.dead`, maxPerPartition: 1_000 }, (m) =>
        letters.push({ reason: m.headers['reason'], bytes: m.value?.length ?? 0 }),
      );
      return letters;
    },
  };
}

/** Every event the server sent is stored once and counted once; the 2 MB ones are dead letters. */
async function expectEverythingOnce(p: Pipeline): Promise<void> {
  await until('every event stored', async () => {
    const { distinct } = await p.stored();
    return distinct >= p.expected().size;
  });
  // Time for a doubled row or count to show.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await p.sink.stop();
  expect(p.fatal).toEqual([]);
  const expected = p.expected().size;
  const stored = await p.stored();
  expect(stored.distinct).toBe(expected);
  expect(stored.rows).toBe(expected);
  expect(stored.counted).toBe(expected);
  const letters = await p.deadLetters();
  const tooLarge = letters.filter((l) => l.reason === 'too_large');
  expect(tooLarge.length).toBeGreaterThan(0);
  for (const letter of tooLarge) expect(letter.bytes).toBeLessThanOrEqual(64 * 1024);
}

describe('the pipeline through Kafka', () => {
  it('recovers from a broker outage longer than every timeout: nothing lost, nothing doubled', async () => {
    const broker = await privateBroker();
    const p = await startPipeline({ brokers: broker.brokers });
    await p.ping();
    await until('a third of the stream stored', async () => (await p.stored()).distinct > 400);

    await broker.stop();
    await until('the sink to report Kafka as not ready', () => !p.sink.readiness().kafka, 60_000);
    p.pingNoWait();
    // Longer than the delivery timeout, the session timeout and the ingestor's restarts.
    await new Promise((resolve) => setTimeout(resolve, 3 * DELIVERY_TIMEOUT_MS));
    expect(p.ingestor.restarts()).toBeGreaterThan(0);
    expect(p.gatewayHealthy()).toBe(false);
    await broker.start();

    await until('the sink to be ready again', () => p.sink.readiness().kafka, 120_000);
    await until('the worker to rejoin', () => p.workerRunning(), 120_000);
    await p.ping();
    expect(p.gatewayHealthy()).toBe(true);
    await expectEverythingOnce(p);
    const log = p.ingestor.stderr.join('');
    expect(log).toMatch(/restored position and deduplication window/);
  });

  const secure = kafkaSecure();
  it.skipIf(secure === undefined)(
    `runs over SASL_SSL with SCRAM-SHA-512${secure ? '' : ` (skipped: ${kafkaSecureMissing()})`}`,
    async () => {
      const connection = await kafkaSecureConnection(secure!, 'scram512');
      const p = await startPipeline(connection, secure);
      await p.ping();
      await expectEverythingOnce(p);
    },
  );

  it('ends the ingestor with one line naming the problem for a wrong password, an untrusted CA and an unknown mechanism', async () => {
    const info =
      secure ??
      (() => {
        throw new Error(kafkaSecureMissing());
      })();
    const base = {
      PATH: process.env['PATH'] ?? '',
      STREAM_URL: 'http://127.0.0.1:9/',
      METRICS_PORT: '0',
      KAFKA_BROKERS: info.brokers.join(','),
      KAFKA_TLS_CA_FILE: info.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: info.users.scram512.username,
      KAFKA_SASL_PASSWORD: info.users.scram512.password,
    };
    const cases: [Record<string, string>, RegExp][] = [
      [{ KAFKA_SASL_PASSWORD: 'wrong' }, /refused the credentials/],
      [{ KAFKA_TLS_CA_FILE: info.otherCaFile }, /certificate is not trusted/],
      [{ KAFKA_SASL_MECHANISM: 'kerberos' }, /KAFKA_SASL_MECHANISM/],
    ];
    for (const [change, expected] of cases) {
      const started = Date.now();
      const result = await run(process.execPath, [ingestorMain], {
        env: { ...base, ...change },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: unknown) => {
          const failed = error as { code?: number; stderr?: string };
          return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
        },
      );
      expect(result.code, result.stderr).not.toBe(0);
      expect(Date.now() - started).toBeLessThan(60_000);
      const problem = result.stderr.split('\n').filter((l) => expected.test(l));
      expect(problem, result.stderr).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toContain(info.users.scram512.password);
    }
  });
});
