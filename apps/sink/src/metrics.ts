import { Counter, Gauge, Histogram, type Registry } from '@wikipulse/metrics';

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

export function createSinkMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'wikipulse_sink_messages_consumed_total',
      help: 'Kafka messages read (before decoding), redeliveries included.',
      registers,
    }),
    rows: new Counter({
      name: 'wikipulse_sink_rows_inserted_total',
      help: 'Rows inserted into ClickHouse, redeliveries included.',
      registers,
    }),
    rowsPastRetention: new Counter({
      name: 'wikipulse_sink_rows_past_retention_total',
      help: 'Rows ClickHouse dropped at insert because their event time was already past the table retention (TTL); also in rows_inserted_total.',
      registers,
    }),
    batches: new Counter({
      name: 'wikipulse_sink_batches_total',
      help: 'Batches written to ClickHouse and committed to Kafka.',
      registers,
    }),
    batchRows: new Histogram({
      name: 'wikipulse_sink_batch_rows',
      help: 'Rows per ClickHouse insert.',
      buckets: [1, 10, 100, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'wikipulse_sink_insert_duration_seconds',
      help: 'Time of one successful ClickHouse insert.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    lag: new Gauge({
      name: 'wikipulse_sink_consumer_lag_messages',
      help: 'Messages in the partition after the last committed offset (from the high watermark).',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'wikipulse_sink_errors_total',
      help: 'Errors by kind; each failed attempt counts once.',
      labelNames: ['kind'] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: 'wikipulse_sink_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    skipped: new Counter({
      name: 'wikipulse_sink_skipped_total',
      help: 'Messages deliberately not stored, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
