import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { IncomingMessage, KafkaBus } from '@wikipulse/kafka';
import { repoRoot } from '@wikipulse/testing';
import { kafkaBrokers, uniqueName } from '@wikipulse/testing/vitest';

/** The built entry point: tests run the ingestor as deployed, in a process of its own. */
export const ingestorMain = join(repoRoot, 'apps', 'ingestor', 'dist', 'main.js');

export interface IngestorProcess {
  process: ChildProcess;
  /** Complete stdout lines (the `stdout` output's events). */
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/**
 * The settings of an ingestor reading `streamUrl` into `topic` on the test broker, its dead
 * letters and positions in topics named after it.
 */
export function kafkaEnv(streamUrl: string, topic: string): Record<string, string> {
  return {
    STREAM_URL: streamUrl,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    TOPIC: topic,
    DEAD_LETTER_TOPIC: `${topic}.dead`,
    CHECKPOINT_TOPIC: `${topic}.positions`,
    TOPIC_PARTITIONS: '3',
  };
}

/**
 * Starts the built ingestor with `env` over quick test timings, its ops server on a free
 * loopback port. `children` tracks the running ones, for a test's clean-up to kill.
 */
export function startIngestor(
  env: Record<string, string>,
  children: Set<ChildProcess>,
): IngestorProcess {
  const child = spawn(process.execPath, [ingestorMain], {
    env: {
      PATH: process.env['PATH'] ?? '',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      STALL_TIMEOUT_MS: '800',
      RECONNECT_MIN_MS: '50',
      RECONNECT_MAX_MS: '400',
      CHECKPOINT_INTERVAL_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    stdout.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { process: child, stdout, stderr, exited };
}

export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads a topic from the beginning until `done` holds and then a quiet second passes. */
export async function collect(
  bus: KafkaBus,
  topic: string,
  done: (messages: IncomingMessage[]) => boolean,
): Promise<IncomingMessage[]> {
  const consumer = await bus.consumer({ groupId: uniqueName('check'), topics: [topic] });
  const messages: IncomingMessage[] = [];
  try {
    await consumer.run(async (batch) => {
      messages.push(...batch.messages);
    });
    await until(`${topic} to fill`, () => done(messages), 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await consumer.close();
  }
  return messages;
}
