import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import {
  prometheusDashboard,
  ns,
  prometheusDatasource,
  promQuery,
  quantileQueries,
  timeseriesPanel as panel,
} from './common.js';

const rate = (metric: string, extra = '') => `rate(${metric}{${ns}${extra}}[$__rate_interval])`;

export function eventsByOutcome() {
  return panel(
    1,
    'Events/s by outcome',
    'What happens to each change the ingestor reads: produced to Kafka, dropped (canaries, duplicates, filtered) or dead-lettered; and rows the sinks insert into ClickHouse.',
    'ops',
  ).targets([
    promQuery(`sum(${rate('wikipulse_ingestor_events_received_total')})`, 'received', 'A'),
    promQuery(`sum(${rate('wikipulse_ingestor_events_produced_total')})`, 'produced', 'B'),
    promQuery(
      `sum by (reason) (${rate('wikipulse_ingestor_events_dropped_total')})`,
      'dropped: {{reason}}',
      'C',
    ),
    promQuery(
      `sum by (reason) (${rate('wikipulse_ingestor_events_dead_lettered_total')})`,
      'dead-lettered: {{reason}}',
      'D',
    ),
    promQuery(`sum(${rate('wikipulse_sink_rows_inserted_total')})`, 'inserted rows', 'E'),
  ]);
}

export function ingestLag() {
  return panel(
    2,
    'Ingest lag',
    'Now minus the time of the newest change received, and the age of the position a restart resumes from. Alert: WikipulseIngestLagHigh.',
    's',
  ).targets([
    promQuery(`max by (job) (wikipulse_ingestor_event_lag_seconds{${ns}})`, 'lag {{job}}', 'A'),
    promQuery(
      `time() - max by (job) (wikipulse_ingestor_position_timestamp_seconds{${ns}})`,
      'acknowledged position age {{job}}',
      'B',
    ),
  ]);
}

export function consumerLag() {
  return panel(
    3,
    'Kafka consumer lag',
    "Messages after the sinks' committed offsets, per topic. Alert: WikipulseConsumerLagGrowing.",
    'short',
  ).targets([
    promQuery(`sum by (topic) (wikipulse_sink_consumer_lag_messages{${ns}})`, '{{topic}}', 'A'),
  ]);
}

export function insertRate() {
  return panel(
    4,
    'ClickHouse insert rate',
    'Rows and batches the sinks write (redeliveries included).',
    'ops',
  ).targets([
    promQuery(`sum(${rate('wikipulse_sink_rows_inserted_total')})`, 'rows/s', 'A'),
    promQuery(`sum(${rate('wikipulse_sink_batches_total')})`, 'batches/s', 'B'),
  ]);
}

export function insertLatency() {
  return panel(
    5,
    'ClickHouse insert latency',
    'Duration of successful inserts, percentiles over all sinks.',
    's',
  ).targets(quantileQueries('wikipulse_sink_insert_duration_seconds', [], [0.5, 0.95, 0.99], ''));
}

export function deadLetterRate() {
  return panel(
    6,
    'Dead-letter rate',
    'Events the ingestor and messages the sinks send to the dead-letter topic, by reason. Alerts: WikipulseIngestorDeadLetterRateHigh, WikipulseSinkDeadLetterRateHigh.',
    'ops',
  ).targets([
    promQuery(
      `sum by (reason) (${rate('wikipulse_ingestor_events_dead_lettered_total')})`,
      'ingestor: {{reason}}',
      'A',
    ),
    promQuery(
      `sum by (reason) (${rate('wikipulse_sink_dead_lettered_total')})`,
      'sink: {{reason}}',
      'B',
    ),
  ]);
}

export function reconnects() {
  return panel(
    7,
    'Stream reconnects',
    'Reconnects to EventStreams by reason: http_429 is throttling, stall a silent connection. Alerts: WikipulseStreamDisconnected, WikipulseStreamStalled.',
    'ops',
  ).targets([
    promQuery(
      `sum by (reason) (${rate('wikipulse_ingestor_reconnects_total')})`,
      '{{reason}}',
      'A',
    ),
  ]);
}

export function streamConnected() {
  return new stat.PanelBuilder()
    .id(8)
    .title('Stream connected')
    .description('Ingestors connected to EventStreams now, out of those scraped.')
    .datasource(prometheusDatasource)
    .span(6)
    .height(8)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .targets([
      promQuery(`sum(wikipulse_ingestor_stream_connected{${ns}})`, 'connected', 'A'),
      promQuery(`count(wikipulse_ingestor_stream_connected{${ns}})`, 'ingestors', 'B'),
    ]);
}

export function sinkErrors() {
  return panel(
    9,
    'Sink errors',
    'Failed attempts by kind; the sink retries each. Alert: WikipulseSinkErrors.',
    'ops',
  )
    .span(6)
    .targets([
      promQuery(`sum by (kind) (${rate('wikipulse_sink_errors_total')})`, '{{kind}}', 'A'),
    ]);
}

export function produceLatency() {
  return panel(
    10,
    'Kafka produce latency',
    'From sending a batch to Kafka to its acknowledgement.',
    's',
  ).targets(quantileQueries('wikipulse_ingestor_produce_latency_seconds', [], [0.5, 0.99], ''));
}

export function pipelineDashboard(): dashboard.Dashboard {
  return prometheusDashboard(
    'Wikipulse / Pipeline',
    'wikipulse-pipeline',
    'EventStreams → ingestor → Kafka → sink → ClickHouse.',
    'wikipulse_ingestor_events_received_total',
  )
    .withPanel(eventsByOutcome())
    .withPanel(ingestLag())
    .withPanel(consumerLag())
    .withPanel(deadLetterRate())
    .withPanel(insertRate())
    .withPanel(insertLatency())
    .withPanel(reconnects())
    .withPanel(streamConnected())
    .withPanel(sinkErrors())
    .withPanel(produceLatency())
    .build();
}
