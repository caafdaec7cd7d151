import { kafkaConnection } from '@wikipulse/config';
import { KafkaBus, readTail } from '@wikipulse/kafka';
import type { Logger } from '@wikipulse/logger';
import type { Registry } from '@wikipulse/metrics';
import {
  FileCheckpointStore,
  KafkaCheckpointStore,
  type Checkpoint,
  type CheckpointStore,
} from './checkpoint.js';
import type { IngestorEnv } from './env.js';
import { Ingestor, type IngestorSettings } from './ingestor.js';
import { HEADER } from './message.js';
import { registerMetrics, type IngestorMetrics } from './metrics.js';
import { KafkaOutput, LineOutput, type Output } from './output.js';
import { repairAndReadTail } from './jsonl-tail.js';
import { normaliseSince } from './position.js';

export interface IngestorApp {
  ingestor: Ingestor;
  output: Output;
  /** Live counters (received, produced, lag, …), as the metrics report them. */
  stats: IngestorMetrics['stats'];
  /** Stops the ingestor (final checkpoint included), then closes the output. */
  close(): Promise<void>;
}

/** How many recent ids a file checkpoint carries: a replay after a restart at the live rate. */
const FILE_CHECKPOINT_IDS = 20_000;
/** How much of a JSONL output's end is read back on start: about 20,000 events. */
const JSONL_TAIL_BYTES = 32 * 1024 * 1024;

/**
 * Builds the ingestor from its configuration: the output, the checkpoint store, the position
 * to resume from and the deduplication window as it was before a restart.
 */
export async function createIngestorApp(
  env: IngestorEnv,
  log: Logger,
  registry: Registry,
  onFatal: (error: unknown) => void,
): Promise<IngestorApp> {
  const metrics = registerMetrics(registry);
  const since = env.SINCE === '' ? undefined : normaliseSince(env.SINCE);
  let output: Output;
  let checkpoints: CheckpointStore | undefined;
  let resumeFrom: Checkpoint | undefined;
  let seenIds: string[] = [];

  if (env.OUTPUT === 'kafka') {
    const bus = new KafkaBus({
      ...kafkaConnection(env),
      clientId: env.KAFKA_CLIENT_ID,
      log: log.child({ component: 'kafka' }),
    });
    const replicationFactor = env.TOPIC_REPLICATION_FACTOR;
    await bus.ensureTopics([
      { topic: env.TOPIC, partitions: env.TOPIC_PARTITIONS, replicationFactor },
      { topic: env.DEAD_LETTER_TOPIC, partitions: 1, replicationFactor },
      {
        topic: env.CHECKPOINT_TOPIC,
        partitions: 1,
        replicationFactor,
        config: KafkaCheckpointStore.topicConfig(),
      },
    ]);
    const producer = await bus.producer({ compression: env.COMPRESSION });
    output = new KafkaOutput(producer, env.TOPIC, env.DEAD_LETTER_TOPIC);
    checkpoints = new KafkaCheckpointStore(bus, producer, env.CHECKPOINT_TOPIC, env.TOPIC);
    resumeFrom = await checkpoints.load();
    seenIds = await recentIdsInTopic(bus, env, resumeFrom);
    log.info(
      { position: resumeFrom?.position ?? null, rebuiltIds: seenIds.length },
      'restored position and deduplication window from Kafka',
    );
  } else {
    if (env.OUTPUT === 'jsonl' && env.CHECKPOINT_FILE !== '') {
      // Before opening for append: a half-written last line is cut off first.
      seenIds = await repairAndReadTail(env.OUTPUT_FILE, JSONL_TAIL_BYTES);
    }
    output =
      env.OUTPUT === 'stdout'
        ? LineOutput.toStream(log.child({ component: 'output' }), process.stdout)
        : await LineOutput.toFile(log.child({ component: 'output' }), env.OUTPUT_FILE);
    if (env.CHECKPOINT_FILE !== '') {
      checkpoints = new FileCheckpointStore(env.CHECKPOINT_FILE);
      resumeFrom = await checkpoints.load();
      // A file holds what was written after the last checkpoint too; stdout is gone.
      if (env.OUTPUT === 'stdout') seenIds = resumeFrom?.recentIds ?? [];
    }
  }

  const settings: IngestorSettings = {
    streamUrl: env.STREAM_URL,
    userAgent: env.USER_AGENT,
    since,
    stallTimeoutMs: env.STALL_TIMEOUT_MS,
    reconnectMinMs: env.RECONNECT_MIN_MS,
    reconnectMaxMs: env.RECONNECT_MAX_MS,
    dedupWindow: env.DEDUP_WINDOW,
    wikis: env.WIKIS,
    langs: env.LANGS,
    maxEventBytes: env.MAX_EVENT_BYTES,
    batchMaxEvents: env.BATCH_MAX_EVENTS,
    batchMaxBytes: env.BATCH_MAX_BYTES,
    lingerMs: env.LINGER_MS,
    maxInFlight: env.MAX_IN_FLIGHT,
    checkpointIntervalMs: env.CHECKPOINT_INTERVAL_MS,
    checkpointIds: env.OUTPUT === 'stdout' ? Math.min(FILE_CHECKPOINT_IDS, env.DEDUP_WINDOW) : 0,
    parseWorker: env.PARSE_WORKER,
  };
  const ingestor = new Ingestor({
    settings,
    output,
    checkpoints,
    resumeFrom,
    seenIds,
    log,
    metrics,
    onFatal,
  });
  return {
    ingestor,
    output,
    stats: metrics.stats,
    close: async () => {
      try {
        await ingestor.stop();
      } finally {
        await output.close();
      }
    },
  };
}

/**
 * The `meta.id`s the output topic received around and after the checkpoint, oldest first.
 *
 * Why rebuild from the topic rather than save the window with the checkpoint: after a
 * `kill -9`, events acknowledged after the last checkpoint are in Kafka but not in any
 * checkpoint, and the resumed stream replays them. The topic is the only record that is
 * complete up to the crash. Each message's Kafka timestamp is its produce time (at or after its
 * receipt), so the time
 * index finds where to start: the checkpointed event's receipt minus a lookback that covers
 * events the upstream replays from slightly before the position (it resumes by time, and
 * events are not strictly ordered). The read is bounded per partition by the window size.
 */
async function recentIdsInTopic(
  bus: KafkaBus,
  env: IngestorEnv,
  checkpoint: Checkpoint | undefined,
): Promise<string[]> {
  const found: { timestamp: number; id: string }[] = [];
  await readTail(
    bus,
    {
      topic: env.TOPIC,
      maxPerPartition: Math.ceil((2 * env.DEDUP_WINDOW) / env.TOPIC_PARTITIONS),
      ...(checkpoint ? { fromTimestamp: checkpoint.receivedAt - env.RESTART_LOOKBACK_MS } : {}),
    },
    (message) => {
      const id = message.headers[HEADER.metaId];
      if (id !== undefined) found.push({ timestamp: message.timestamp, id });
    },
  );
  found.sort((a, b) => a.timestamp - b.timestamp);
  return found.slice(-env.DEDUP_WINDOW).map((f) => f.id);
}
