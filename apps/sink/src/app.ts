import type { Bus } from '@wikipulse/kafka';
import type { App, Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ReadinessCheck, Registry } from '@wikipulse/metrics';
import type { ClickHouseClient } from '@wikipulse/store';
import type { SinkConfig } from './env.js';
import { createSinkMetrics } from './metrics.js';
import { sinkReadiness, startWhenSchemaReady, type StartedGate } from './schema-gate.js';
import { Sink } from './sink.js';

export interface SinkDeps {
  bus: Bus;
  /** Closed by whoever opened it, after the sink. */
  clickhouse: ClickHouseClient;
  log: Logger;
  registry: Registry;
  /** The sink can no longer keep its promises and has logged why: stop the process. */
  onFatal: (error: Error) => void;
  /** The time of day the sink lives in; the system clock by default. */
  clock?: Clock;
}

export interface SinkApp extends App {
  readonly readiness: Record<string, ReadinessCheck>;
}

/**
 * The sink: it waits until the database's owner has migrated the schema (it runs no DDL), then
 * consumes the event topic into ClickHouse. `start` resolves once it consumes, or once it is
 * closed while waiting.
 */
export function createApp(config: SinkConfig, deps: SinkDeps): SinkApp {
  const { clickhouse: client, log } = deps;
  const stopping = new AbortController();
  const sink = new Sink({
    bus: deps.bus,
    topic: config.TOPIC,
    topicPartitions: config.TOPIC_PARTITIONS,
    groupId: config.GROUP_ID,
    deadLetterTopic: config.DEAD_LETTER_TOPIC,
    client,
    database: config.CLICKHOUSE_DATABASE,
    batchMaxRows: config.BATCH_MAX_ROWS,
    batchMaxWaitMs: config.BATCH_MAX_WAIT_MS,
    fetchMaxBytes: config.FETCH_MAX_BYTES,
    fetchMaxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    retryMaxMs: config.RETRY_MAX_MS,
    log: log.child({ component: 'sink' }),
    metrics: createSinkMetrics(deps.registry),
    onFatal: deps.onFatal,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  let gate: StartedGate | undefined;
  const notStarted = { ready: false, reason: 'not started' } as const;
  return {
    readiness: sinkReadiness(sink, { state: () => gate?.state() ?? notStarted }),
    start: async () => {
      gate = startWhenSchemaReady(sink, {
        client,
        database: config.CLICKHOUSE_DATABASE,
        log,
        signal: stopping.signal,
      });
      await gate.started;
    },
    close: async () => {
      stopping.abort(new Error('sink closed'));
      await sink.stop();
    },
  };
}
