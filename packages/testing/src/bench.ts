/** Helpers shared by the `bench:*` programs (and, for what a drained topic left, the sink's tests). */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bus } from '@wikipulse/kafka';
import { assertIdentifier, type ClickHouseClient } from '@wikipulse/store';
import { repoRoot } from './paths.js';
import { LOCAL_KAFKA_PORT } from './services.js';

const run = promisify(execFile);

/** The p-th percentile (0–100) of values, by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Samples this process's memory until stopped; peak RSS and heap in MiB. */
export class MemorySampler {
  #peakRss = 0;
  #peakHeap = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.#peakRss = Math.max(this.#peakRss, rss);
    this.#peakHeap = Math.max(this.#peakHeap, heapUsed);
  }

  stop(): { peakRssMiB: number; peakHeapMiB: number } {
    this.#sample();
    clearInterval(this.#timer);
    return {
      peakRssMiB: round(this.#peakRss / 2 ** 20),
      peakHeapMiB: round(this.#peakHeap / 2 ** 20),
    };
  }
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Why a benchmark cannot run (no broker, …), in one line for whoever started it. Benchmarks end
 * with it through `exitOnSetupError`, not with a stack trace.
 */
export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

/** A `.catch` handler: a setup error ends the benchmark with its line and exit code 2. */
export function exitOnSetupError(benchmark: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof BenchSetupError)) throw error;
    process.stderr.write(`[bench:${benchmark}] ${error.message}\n`);
    process.exit(2);
  };
}

export interface BenchKafka {
  brokers: string[];
  /** The broker's pid when it is this checkout's own (tools/kafka/kafka.sh), for its CPU use. */
  pid: number | undefined;
  /** Stops the broker if the benchmark started it; otherwise does nothing. */
  stop(): Promise<void>;
}

/**
 * The Kafka a benchmark runs against: `KAFKA_BROKERS` when set, which must answer; otherwise
 * the project's broker on 127.0.0.1:`KAFKA_PORT` (19092), started with tools/kafka/kafka.sh
 * when none answers there and stopped again by `stop()`. Rejects with a `BenchSetupError`
 * saying what to do.
 */
export async function benchKafka(
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchKafka> {
  const given = env['KAFKA_BROKERS']
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (given && given.length > 0) {
    if (!(await anyAccepts(given))) {
      throw new BenchSetupError(
        `no Kafka broker answers at ${given.join(',')} (KAFKA_BROKERS): start one (KAFKA_PORT=<port> npm run kafka:start), or unset KAFKA_BROKERS and the benchmark starts the project's broker`,
      );
    }
    return { brokers: given, pid: await projectBrokerPid(given, env), stop: async () => {} };
  }
  const port = env['KAFKA_PORT'] ?? String(LOCAL_KAFKA_PORT);
  const brokers = [`127.0.0.1:${port}`];
  if (await anyAccepts(brokers)) {
    return { brokers, pid: await projectBrokerPid(brokers, env), stop: async () => {} };
  }
  progress(
    `no Kafka broker on ${brokers[0]}: starting the project's (tools/kafka/kafka.sh start); the benchmark stops it at the end`,
  );
  const script = join(repoRoot, 'tools', 'kafka', 'kafka.sh');
  const kafkaEnv = { ...env, KAFKA_PORT: port };
  try {
    await run('bash', [script, 'start'], { env: kafkaEnv, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const why = lastLine((error as { stderr?: unknown }).stderr) ?? (error as Error).message;
    throw new BenchSetupError(
      `no Kafka broker on ${brokers[0]} and starting the project's failed (${why}); start one with npm run kafka:start, or set KAFKA_BROKERS to a running broker`,
    );
  }
  return {
    brokers,
    pid: await projectBrokerPid(brokers, env),
    stop: async () => {
      progress(`stopping the broker the benchmark started on ${brokers[0]}`);
      await run('bash', [script, 'stop'], { env: kafkaEnv });
    },
  };
}

/** True when some broker accepts a TCP connection: "connection refused" means none runs there. */
async function anyAccepts(brokers: readonly string[], timeoutMs = 2_000): Promise<boolean> {
  const answers = await Promise.all(brokers.map((b) => accepts(b, timeoutMs)));
  return answers.some(Boolean);
}

function accepts(broker: string, timeoutMs: number): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(broker.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The pid tools/kafka/kafka.sh reports when the one broker is this checkout's own. */
async function projectBrokerPid(
  brokers: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number | undefined> {
  const local = brokers.length === 1 ? /^127\.0\.0\.1:(\d+)$/.exec(brokers[0]!) : null;
  if (!local) return undefined;
  const script = join(repoRoot, 'tools', 'kafka', 'kafka.sh');
  try {
    const { stdout } = await run('bash', [script, 'status'], {
      env: { ...env, KAFKA_PORT: local[1] },
    });
    const pid = /\(pid (\d+)\)/.exec(stdout)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}

function lastLine(text: unknown): string | undefined {
  if (typeof text !== 'string' && !Buffer.isBuffer(text)) return undefined;
  return String(text).trim().split('\n').at(-1) || undefined;
}

/** Stored copies and distinct event ids among them. */
export interface StoredCount {
  total: number;
  distinct: number;
}

/**
 * What a benchmark stored against what it sent, as one line; undefined when they agree.
 * `expected` is the number of distinct events that should be stored, each once.
 */
export function storedMismatch(
  where: string,
  expected: number,
  stored: StoredCount,
): string | undefined {
  const problems: string[] = [];
  if (stored.distinct < expected) {
    problems.push(
      `stored ${stored.distinct} distinct events of ${expected} sent (${expected - stored.distinct} missing)`,
    );
  } else if (stored.distinct > expected) {
    problems.push(`stored ${stored.distinct} distinct events but only ${expected} were sent`);
  }
  if (stored.total > stored.distinct) {
    problems.push(`${stored.total} rows for ${stored.distinct} distinct events (duplicates)`);
  }
  return problems.length === 0 ? undefined : `${where}: ${problems.join(', ')}`;
}

/**
 * Prints a benchmark's JSON on stdout with the verdict of its checks (`storedAsSent`,
 * `problems`). When a check failed, one line on stderr says why and the process exits 1.
 */
export function reportBench(
  benchmark: string,
  result: Record<string, unknown>,
  problems: readonly (string | undefined)[],
): void {
  const failed = problems.filter((p): p is string => p !== undefined);
  process.stdout.write(
    `${JSON.stringify({ ...result, storedAsSent: failed.length === 0, problems: failed })}\n`,
  );
  if (failed.length > 0) {
    process.stderr.write(`[bench:${benchmark}] FAILED: ${failed.join('; ')}\n`);
    process.exitCode = 1;
  }
}

/** Resolves once the group has committed every partition up to its end offset. */
export async function waitForCommit(
  bus: Bus,
  groupId: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const end = await bus.endOffsets(topic);
  for (;;) {
    const committed = await bus.committedOffsets(groupId, topic);
    if ([...end].every(([p, offset]) => committed.get(p) === offset)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `group ${groupId} did not reach the end of ${topic}: committed ${JSON.stringify([...committed])}, end ${JSON.stringify([...end])}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Rows of `changes` read with FINAL, and the distinct event ids among them (64-bit counts come as numbers). */
export async function storedDistinctIds(
  client: ClickHouseClient,
  database: string,
): Promise<StoredCount> {
  const result = await client.query({
    query: `SELECT count() AS total, uniqExact(event_id) AS distinct FROM ${assertIdentifier(database)}.changes FINAL`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<StoredCount>();
  return { total: row?.total ?? 0, distinct: row?.distinct ?? 0 };
}
