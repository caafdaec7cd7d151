/*
 * A real Prometheus scrapes a running ingestor and sink during a short replay (the local
 * EventStreams server, the real Kafka broker, the embedded ClickHouse engine), evaluating the
 * alert rules as it goes. Then every dashboard and rule expression is evaluated through the
 * HTTP API: none may error, and the core panels must return data.
 * Run by `npm run check:observability` (vitest.observability.config.ts), which installs
 * Debian's prometheus first and builds the apps.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  freePort,
  recordedEvents,
  repoRoot,
  startEventStreamsServer,
  type EventStreamsServer,
} from '@wikipulse/testing';
import { DiscordDouble, user } from '@wikipulse/testing/discord';
import { kafkaBrokers, uniqueName } from '@wikipulse/testing/vitest';
import { promqlExpressions } from './index.js';

const rulesFile = join(repoRoot, 'grafana/alerts/wikipulse.rules.yaml');
/** Scrapes every second, so a 15 s window holds enough samples for rate(). */
const rateInterval = '15s';

/**
 * Panels the replay must fill (it injects malformed events, so dead letters too); the others
 * (errors, reconnects, the bot) may rightly be empty.
 */
const corePanels = [
  'Events/s by outcome',
  'Ingest lag',
  'Kafka consumer lag',
  'ClickHouse insert rate',
  'ClickHouse insert latency',
  'Stream connected',
  'Kafka produce latency',
  'Dead-letter rate',
].map((p) => `wikipulse-pipeline/${p}`);
/** The replay sends the bot commands, some from a user over the rate limit. */
const coreBotPanels = [
  'Commands/s by command and outcome',
  'Command latency percentiles',
  'Share of commands over 1 s',
  'Rate-limited commands',
  'Bot replicas',
].map((p) => `wikipulse-bot/${p}`);

interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
}

let work: string | undefined;
let stream: EventStreamsServer | undefined;
let discord: DiscordDouble | undefined;
const children: Child[] = [];
let prometheus: string;

function start(name: string, command: string, args: string[], env: Record<string, string>): Child {
  const child: Child = {
    name,
    process: spawn(command, args, {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    output: [],
  };
  const keep = (chunk: Buffer) => {
    child.output.push(chunk.toString());
    if (child.output.length > 200) child.output.shift();
  };
  child.process.stdout?.on('data', keep);
  child.process.stderr?.on('data', keep);
  children.push(child);
  return child;
}

/** The schema, applied as `npm run migrate` does: the sink and the bot run no DDL. */
async function migrateEmbedded(path: string, database: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['apps/sink/dist/migrate.js'], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      CLICKHOUSE_PATH: path,
      CLICKHOUSE_DATABASE: database,
      LOG_LEVEL: 'warn',
    },
  });
}

function describeChildren(): string {
  return children
    .map(
      (c) =>
        `--- ${c.name} (exit ${String(c.process.exitCode)})\n${c.output.join('').slice(-3000)}`,
    )
    .join('\n');
}

interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as QueryResult;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    for (const c of children) {
      if (c.process.exitCode !== null) throw new Error(`${c.name} exited\n${describeChildren()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}\n${describeChildren()}`);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wikipulse-obs-'));
  stream = await startEventStreamsServer({
    lines: recordedEvents().map((e) => JSON.stringify(e)),
    rate: 200,
    malformedEvery: 50,
    canaryEvery: 97,
  });
  const [ingestorPort, sinkPort, botPort, prometheusPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const topic = uniqueName('obs_changes');
  const deadLetters = `${topic}.dead-letter`;
  const kafka = kafkaBrokers().join(',');

  start('ingestor', process.execPath, ['apps/ingestor/dist/main.js'], {
    STREAM_URL: stream.url,
    KAFKA_BROKERS: kafka,
    TOPIC: topic,
    DEAD_LETTER_TOPIC: deadLetters,
    CHECKPOINT_TOPIC: `${topic}.positions`,
    TOPIC_PARTITIONS: '2',
    METRICS_PORT: String(ingestorPort),
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  // The sink starts once the ingestor has created the topics and produced, so the two never
  // race to create the same topic.
  await waitFor(
    'events produced by the ingestor',
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${ingestorPort}/metrics`)).text();
      return /^wikipulse_ingestor_events_produced_total\{[^}]*\} [1-9]/m.test(text);
    },
    60_000,
  );
  const sinkDatabase = uniqueName('obs');
  await migrateEmbedded(join(work, 'clickhouse'), sinkDatabase);
  start('sink', process.execPath, ['apps/sink/dist/main.js'], {
    KAFKA_BROKERS: kafka,
    TOPIC: topic,
    TOPIC_PARTITIONS: '2',
    GROUP_ID: uniqueName('obs_sink'),
    DEAD_LETTER_TOPIC: deadLetters,
    CLICKHOUSE_PATH: join(work, 'clickhouse'),
    CLICKHOUSE_DATABASE: sinkDatabase,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    METRICS_PORT: String(sinkPort),
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });

  const token = 'observability-token';
  discord = await new DiscordDouble({ token }).start();
  const botDatabase = uniqueName('obs_bot');
  await migrateEmbedded(join(work, 'bot-clickhouse'), botDatabase);
  start('bot', process.execPath, ['apps/bot/dist/main.js'], {
    BOT_ROLE: 'standalone',
    DISCORD_TOKEN: token,
    DISCORD_API_URL: discord.apiUrl,
    CLICKHOUSE_PATH: join(work, 'bot-clickhouse'),
    CLICKHOUSE_DATABASE: botDatabase,
    BOT_WATCH_ENABLED: 'false',
    METRICS_PORT: String(botPort),
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });

  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [rulesFile],
    scrape_configs: [
      { job_name: 'ingestor', static_configs: [{ targets: [`127.0.0.1:${ingestorPort}`] }] },
      { job_name: 'sink', static_configs: [{ targets: [`127.0.0.1:${sinkPort}`] }] },
      { job_name: 'bot', static_configs: [{ targets: [`127.0.0.1:${botPort}`] }] },
    ],
  };
  await writeFile(join(work, 'prometheus.yml'), JSON.stringify(config));
  start(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
    ],
    {},
  );
  prometheus = `http://127.0.0.1:${prometheusPort}`;

  await waitFor(
    'the bot connected to the Discord double',
    async () => (await fetch(`http://127.0.0.1:${botPort}/readyz`)).ok,
    60_000,
  );
  const double = discord;
  const owner = user('owner');
  const guild = double.addGuild({ ownerId: owner.id });
  const ask = async (author: ReturnType<typeof user>, content: string) => {
    const id = double.sendMessage({ guild, author, content });
    await double.waitFor(
      (r) =>
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
      20_000,
    );
  };
  await ask(user('reader'), '!recent 5 en');
  await ask(user('statistician'), '!stats');
  // One command over the user's burst (BOT_RATE_BURST, 5): answered once, as rate-limited.
  const flooder = user('flooder');
  for (let i = 0; i < 6; i += 1) await ask(flooder, '!ping');

  await waitFor(
    'rows inserted by the sink, as Prometheus scraped them',
    async () => {
      const r = await query('sum(wikipulse_sink_rows_inserted_total) > 0');
      return (r.data?.result.length ?? 0) > 0;
    },
    90_000,
  );
  // Enough scrapes after the first insert for every rate window to hold several samples.
  await new Promise((resolve) => setTimeout(resolve, 16_000));
}, 150_000);

afterAll(async () => {
  for (const c of children.reverse()) {
    if (c.process.exitCode === null && c.process.signalCode === null) {
      const exit = new Promise<boolean>((resolve) => c.process.once('exit', () => resolve(true)));
      c.process.kill('SIGTERM');
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000));
      if (!(await Promise.race([exit, timeout]))) c.process.kill('SIGKILL');
    }
  }
  await stream?.stop();
  await discord?.close();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe('a real Prometheus scraping the pipeline', () => {
  it('evaluates every dashboard expression, and the core panels have data', async () => {
    const expressions = promqlExpressions(rateInterval);
    const withData = new Set<string>();
    const failures: string[] = [];
    for (const e of expressions) {
      const result = await query(e.expr);
      if (result.status !== 'success')
        failures.push(`${e.panel} ${e.refId}: ${result.error ?? ''}`);
      else if ((result.data?.result.length ?? 0) > 0) withData.add(`${e.dashboard}/${e.panel}`);
    }
    expect(failures).toEqual([]);
    const empty = [...corePanels, ...coreBotPanels].filter((p) => !withData.has(p));
    expect(empty, describeChildren()).toEqual([]);
  });

  it('evaluates every rule expression, and Prometheus reports every rule healthy', async () => {
    const file = parse(await readFile(rulesFile, 'utf8')) as {
      groups: { rules: { expr: string; alert?: string; record?: string }[] }[];
    };
    const rules = file.groups.flatMap((g) => g.rules);
    for (const rule of rules) {
      const result = await query(rule.expr);
      expect(result.status, `${rule.alert ?? rule.record ?? ''}: ${result.error ?? ''}`).toBe(
        'success',
      );
    }
    const loaded = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const health = loaded.data.groups.flatMap((g) => g.rules);
    expect(health).toHaveLength(rules.length);
    expect(health.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  it('raises no alert on a healthy pipeline', async () => {
    const alerts = await query('ALERTS{alertstate="firing"}');
    expect(alerts.data?.result).toEqual([]);
  });
});
