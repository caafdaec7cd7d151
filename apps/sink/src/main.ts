import { setTimeout as sleep } from 'node:timers/promises';
import { clickHouseTarget, kafkaConnection, loadOrExit } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry, startOpsServer } from '@wikipulse/metrics';
import { migrate, openClickHouse } from '@wikipulse/store';
import { loadEnv } from './env.js';
import { createSinkMetrics } from './metrics.js';
import { Sink } from './sink.js';

const env = loadOrExit(() => loadEnv());
const log = createLogger({ name: 'sink', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: env.SHUTDOWN_DEADLINE_MS });

const registry = createRegistry('sink');
const metrics = createSinkMetrics(registry);
const client = openClickHouse(clickHouseTarget(env, env.clickhousePath));
shutdown.add('clickhouse', () => client.close());

const sink = new Sink({
  bus: new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-sink', log }),
  topic: env.TOPIC,
  topicPartitions: env.TOPIC_PARTITIONS,
  groupId: env.GROUP_ID,
  deadLetterTopic: env.DEAD_LETTER_TOPIC,
  client,
  database: env.CLICKHOUSE_DATABASE,
  batchMaxRows: env.BATCH_MAX_ROWS,
  batchMaxWaitMs: env.BATCH_MAX_WAIT_MS,
  fetchMaxBytes: env.FETCH_MAX_BYTES,
  fetchMaxBytesPerPartition: env.FETCH_MAX_BYTES_PER_PARTITION,
  partitionsConsumedConcurrently: env.PARTITIONS_CONSUMED_CONCURRENTLY,
  sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
  retryMaxMs: env.RETRY_MAX_MS,
  log: log.child({ component: 'sink' }),
  metrics,
  onFatal: () => void shutdown.trigger('sink failed', 1),
});

let schemaReady = false;
const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  readiness: {
    kafka: () => sink.readiness().kafka,
    clickhouse: () => schemaReady && sink.readiness().clickhouse,
  },
});
shutdown.add('ops server', () => ops.close());
log.info({ port: ops.port }, 'ops server listening');

// ClickHouse may come up after the sink (or be away for a while): the sink stays not ready,
// saying why, and tries again, rather than exit into a restart loop.
for (let attempt = 0; ; attempt += 1) {
  try {
    const report = await migrate(client, {
      database: env.CLICKHOUSE_DATABASE,
      retentionDays: env.RETENTION_DAYS,
    });
    log.info(report, 'schema up to date');
    break;
  } catch (error) {
    if (shutdown.signal.aborted) break;
    const waitMs = Math.min(1_000 * 2 ** attempt, 30_000);
    log.warn({ err: error, waitMs }, 'ClickHouse is not reachable; not ready, trying again');
    await sleep(waitMs, undefined, { signal: shutdown.signal }).catch(() => undefined);
  }
}
schemaReady = !shutdown.signal.aborted;

shutdown.add('sink', () => sink.stop());
if (schemaReady) await sink.start();
