import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaBus } from '@wikipulse/kafka';
import { chooseServices } from './docker.js';
import { repoRoot } from './paths.js';

const run = promisify(execFile);

export const LOCAL_KAFKA_PORT = 19092;
/** The images testcontainers runs where it is chosen. */
export const KAFKA_IMAGE = 'apache/kafka:4.1.0';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';

export interface RunningService<T> {
  /** What was chosen and why, for the test output. */
  description: string;
  value: T;
  stop(): Promise<void>;
}

/** What tests get to reach ClickHouse: a server URL, or the embedded engine in each process. */
export type ClickHouseService = { kind: 'server'; url: string } | { kind: 'embedded' };

/**
 * Decides which Kafka the tests use, in this order: `KAFKA_BROKERS` (an existing cluster),
 * a testcontainers broker where a Docker engine can start its image (or when
 * WIKIPULSE_SERVICES=containers), or the project's own broker built from Maven Central jars
 * (tools/kafka/kafka.sh) on loopback.
 */
export async function provideKafka(): Promise<RunningService<string[]>> {
  const fromEnv = process.env['KAFKA_BROKERS'];
  if (fromEnv) {
    const brokers = fromEnv
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    return {
      description: `Kafka from KAFKA_BROKERS (${brokers.join(',')})`,
      value: brokers,
      stop: async () => {},
    };
  }
  const choice = await chooseServices([KAFKA_IMAGE]);
  if (choice.containers) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
    const broker = `${container.getHost()}:${container.getMappedPort(9093)}`;
    return {
      description: `Kafka in a testcontainer (${broker}): ${choice.reason}`,
      value: [broker],
      stop: async () => {
        await container.stop();
      },
    };
  }
  const script = join(repoRoot, 'tools', 'kafka', 'kafka.sh');
  const env = { ...process.env, KAFKA_PORT: String(LOCAL_KAFKA_PORT) };
  const wasRunning = await run('bash', [script, 'status'], { env }).then(
    () => true,
    () => false,
  );
  if (!wasRunning) await run('bash', [script, 'start'], { env, maxBuffer: 16 * 1024 * 1024 });
  const broker = `127.0.0.1:${LOCAL_KAFKA_PORT}`;
  await waitForGroupCoordinator([broker]);
  const already = wasRunning ? ', already running' : '';
  return {
    description: `local Kafka broker from tools/kafka (${broker}${already}): ${choice.reason}`,
    value: [broker],
    // A broker someone started by hand keeps running after the tests.
    stop: async () => {
      if (!wasRunning) await run('bash', [script, 'stop'], { env });
    },
  };
}

/**
 * A new broker answers requests before its group coordinator has loaded `__consumer_offsets`;
 * until then offset commits fail. Asking for a group's description waits for the coordinator.
 */
async function waitForGroupCoordinator(brokers: string[]): Promise<void> {
  await new KafkaBus({ brokers, clientId: 'wikipulse-test-setup' }).describeGroup(
    'wikipulse-readiness',
  );
}

/**
 * Decides which ClickHouse the tests use: `CLICKHOUSE_URL` (a real server), a testcontainers
 * server where a Docker engine can start its image (or when WIKIPULSE_SERVICES=containers), or
 * the ClickHouse engine embedded in each test process (chdb).
 */
export async function provideClickHouse(): Promise<RunningService<ClickHouseService>> {
  const url = process.env['CLICKHOUSE_URL'];
  if (url) {
    return {
      description: `ClickHouse server from CLICKHOUSE_URL (${new URL(url).host})`,
      value: { kind: 'server', url },
      stop: async () => {},
    };
  }
  const choice = await chooseServices([CLICKHOUSE_IMAGE]);
  if (choice.containers) {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const container = await new ClickHouseContainer(CLICKHOUSE_IMAGE).start();
    return {
      description: `ClickHouse server in a testcontainer (${container.getHttpUrl()}): ${choice.reason}`,
      value: { kind: 'server', url: container.getConnectionUrl() },
      stop: async () => {
        await container.stop();
      },
    };
  }
  return {
    description: `ClickHouse engine embedded in each test process (chdb): ${choice.reason}`,
    value: { kind: 'embedded' },
    stop: async () => {},
  };
}
