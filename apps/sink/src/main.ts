import { clickHouseTarget, kafkaConnection, loadOrExit } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry, startOpsServer } from '@wikipulse/metrics';
import { openClickHouse } from '@wikipulse/store';
import { loadEnv } from './env.js';
import { createSinkMetrics } from './metrics.js';
import { sinkReadiness, startWhenSchemaReady } from './schema-gate.js';
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

const gate = startWhenSchemaReady(sink, {
  client,
  database: env.CLICKHOUSE_DATABASE,
  log,
  signal: shutdown.signal,
});
shutdown.add('sink', () => sink.stop());
const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  readiness: sinkReadiness(sink, gate),
});
shutdown.add('ops server', () => ops.close());
log.info({ port: ops.port }, 'ops server listening');
await gate.started;
