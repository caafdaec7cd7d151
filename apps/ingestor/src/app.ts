import { KafkaBus, readTail, type Bus } from '@wikipulse/kafka';
import type { App, Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ReadinessCheck, Registry } from '@wikipulse/metrics';
import {
  FileCheckpointStore,
  KafkaCheckpointStore,
  type Checkpoint,
  type CheckpointStore,
} from './checkpoint.js';
import type { IngestorConfig } from './env.js';
import { Ingestor, type IngestorSettings } from './ingestor.js';
import { HEADER } from './message.js';
import { registerLeaderMetric, registerMetrics, type IngestorMetrics } from './metrics.js';
import { KafkaOutput, LineOutput, type Output } from './output.js';
import { repairAndReadTail } from './jsonl-tail.js';
import { normaliseSince } from './position.js';

/** The lease a replica must hold to ingest (`LeaseElector` of `@wikipulse/leader`). */
export interface Leadership {
  /** Resolves true once held; false when the signal aborted first. */
  acquire(until: AbortSignal): Promise<boolean>;
  readonly leading: boolean;
  /** Whether the API server answered recently. */
  readonly inContact: boolean;
  release(): Promise<void>;
}

export interface IngestorDeps {
  /** Where `OUTPUT=kafka` writes. */
  bus?: Bus;
  log: Logger;
  registry: Registry;
  /** With an election, the app builds and ingests only once it leads. */
  leadership?: Leadership;
  /** The output failed (the app logged it): stop, to resume from the last checkpoint. */
  onFatal: (error: unknown) => void;
  /** When events are received and checkpoints saved; the system clock by default. */
  clock?: Clock;
}

export interface IngestorApp extends App {
  readonly readiness: Record<string, ReadinessCheck>;
  details(): Record<string, unknown>;
  /** Live counters (received, produced, lag, …), as the metrics report them. */
  readonly stats: IngestorMetrics['stats'];
}

/** How many recent ids a file checkpoint carries: a replay after a restart at the live rate. */
const FILE_CHECKPOINT_IDS = 20_000;
/** How much of a JSONL output's end is read back on start: about 20,000 events. */
const JSONL_TAIL_BYTES = 32 * 1024 * 1024;

/**
 * The ingestor. `start` waits for the lease when there is an election (a standby is ready with
 * nothing of its own), then builds the output, the checkpoint store, the position to resume
 * from and the deduplication window as it was before a restart, and starts reading the stream.
 * `close` stops it (final checkpoint included), closes the output and gives up the lease.
 */
export function createApp(config: IngestorConfig, deps: IngestorDeps): IngestorApp {
  const { log, leadership } = deps;
  const metrics = registerMetrics(deps.registry);
  const leading = () => leadership?.leading ?? true;
  registerLeaderMetric(deps.registry, leading);
  const closing = new AbortController();
  let running: { ingestor: Ingestor; output: Output } | undefined;
  let starting: Promise<void> | undefined;

  const start = async () => {
    if (leadership && !(await leadership.acquire(closing.signal))) return;
    const built = await build(config, deps, metrics, (error) => {
      log.fatal({ err: error }, 'output failed; exiting to resume from the last checkpoint');
      deps.onFatal(error);
    });
    if (closing.signal.aborted) {
      await built.output.close();
      return;
    }
    running = built;
    built.ingestor.start();
  };

  return {
    stats: metrics.stats,
    // A standby is ready (a Deployment of two is Available) with no stream or output of its own.
    readiness: {
      stream: () => (running ? running.ingestor.connected : !leading()),
      output: () => (running ? running.output.writable : !leading()),
      ...(leadership ? { lease: () => leadership.inContact } : {}),
    },
    details: () => (leadership ? { leader: leadership.leading } : {}),
    start: () => (starting ??= start()),
    close: async () => {
      closing.abort(new Error('ingestor closed'));
      await starting?.catch(() => undefined);
      try {
        if (running) {
          try {
            await running.ingestor.stop();
          } finally {
            await running.output.close();
          }
        }
      } finally {
        // Released last: another replica may lead only once this one wrote its last event.
        await leadership?.release();
      }
    },
  };
}

/** The output and where the position is kept, as the settings choose them. */
async function build(
  config: IngestorConfig,
  deps: IngestorDeps,
  metrics: IngestorMetrics,
  onFatal: (error: unknown) => void,
): Promise<{ ingestor: Ingestor; output: Output }> {
  const { log } = deps;
  let output: Output;
  let checkpoints: CheckpointStore | undefined;
  let resumeFrom: Checkpoint | undefined;
  let seenIds: string[] = [];
  // Whether the checkpoint carries the recent ids: when the output cannot be read back.
  let idsInCheckpoint = false;

  if (config.OUTPUT === 'kafka') {
    const bus = deps.bus;
    if (bus === undefined) throw new Error('OUTPUT=kafka needs a bus');
    const replicationFactor = config.TOPIC_REPLICATION_FACTOR;
    const inTopic = config.CHECKPOINT_FILE === '';
    await bus.ensureTopics([
      { topic: config.TOPIC, partitions: config.TOPIC_PARTITIONS, replicationFactor },
      { topic: config.DEAD_LETTER_TOPIC, partitions: 1, replicationFactor },
      ...(inTopic
        ? [
            {
              topic: config.CHECKPOINT_TOPIC,
              partitions: 1,
              replicationFactor,
              config: KafkaCheckpointStore.topicConfig(),
            },
          ]
        : []),
    ]);
    const producer = await bus.producer({ compression: config.COMPRESSION });
    output = new KafkaOutput(producer, config.TOPIC, config.DEAD_LETTER_TOPIC);
    if (inTopic) {
      // The topic is read back after a restart; an in-process bus keeps nothing to read.
      if (!(bus instanceof KafkaBus)) {
        await output.close();
        throw new Error('without Kafka the position needs a CHECKPOINT_FILE');
      }
      checkpoints = new KafkaCheckpointStore(bus, producer, config.CHECKPOINT_TOPIC, config.TOPIC);
      resumeFrom = await checkpoints.load();
      seenIds = await recentIdsInTopic(bus, config, resumeFrom);
      log.info(
        { position: resumeFrom?.position ?? null, rebuiltIds: seenIds.length },
        'restored position and deduplication window from Kafka',
      );
    } else {
      idsInCheckpoint = true;
    }
  } else {
    if (config.OUTPUT === 'jsonl' && config.CHECKPOINT_FILE !== '') {
      // Before opening for append: a half-written last line is cut off first.
      seenIds = await repairAndReadTail(config.OUTPUT_FILE, JSONL_TAIL_BYTES);
    }
    output =
      config.OUTPUT === 'stdout'
        ? LineOutput.toStream(log.child({ component: 'output' }), process.stdout)
        : await LineOutput.toFile(log.child({ component: 'output' }), config.OUTPUT_FILE);
    // A file holds what was written after the last checkpoint too; stdout is gone.
    idsInCheckpoint = config.OUTPUT === 'stdout';
  }
  if (checkpoints === undefined && config.CHECKPOINT_FILE !== '') {
    checkpoints = new FileCheckpointStore(config.CHECKPOINT_FILE);
    resumeFrom = await checkpoints.load();
    if (idsInCheckpoint) seenIds = resumeFrom?.recentIds ?? [];
  }

  const settings: IngestorSettings = {
    streamUrl: config.STREAM_URL,
    userAgent: config.USER_AGENT,
    since: config.SINCE === '' ? undefined : normaliseSince(config.SINCE),
    stallTimeoutMs: config.STALL_TIMEOUT_MS,
    reconnectMinMs: config.RECONNECT_MIN_MS,
    reconnectMaxMs: config.RECONNECT_MAX_MS,
    dedupWindow: config.DEDUP_WINDOW,
    wikis: config.WIKIS,
    langs: config.LANGS,
    maxEventBytes: config.MAX_EVENT_BYTES,
    batchMaxEvents: config.BATCH_MAX_EVENTS,
    batchMaxBytes: config.BATCH_MAX_BYTES,
    lingerMs: config.LINGER_MS,
    maxInFlight: config.MAX_IN_FLIGHT,
    checkpointIntervalMs: config.CHECKPOINT_INTERVAL_MS,
    checkpointIds: idsInCheckpoint ? Math.min(FILE_CHECKPOINT_IDS, config.DEDUP_WINDOW) : 0,
    parseWorker: config.PARSE_WORKER,
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
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  return { ingestor, output };
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
  config: IngestorConfig,
  checkpoint: Checkpoint | undefined,
): Promise<string[]> {
  const found: { timestamp: number; id: string }[] = [];
  await readTail(
    bus,
    {
      topic: config.TOPIC,
      maxPerPartition: Math.ceil((2 * config.DEDUP_WINDOW) / config.TOPIC_PARTITIONS),
      ...(checkpoint ? { fromTimestamp: checkpoint.receivedAt - config.RESTART_LOOKBACK_MS } : {}),
    },
    (message) => {
      const id = message.headers[HEADER.metaId];
      if (id !== undefined) found.push({ timestamp: message.timestamp, id });
    },
  );
  found.sort((a, b) => a.timestamp - b.timestamp);
  return found.slice(-config.DEDUP_WINDOW).map((f) => f.id);
}
