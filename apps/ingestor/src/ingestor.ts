import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { Batcher, type AckedMark } from './batcher.js';
import type { Checkpoint, CheckpointStore } from './checkpoint.js';
import { builtWorker, Reader } from './classify/index.js';
import { DedupWindow } from './dedup.js';
import { Intake } from './intake.js';
import type { IngestorMetrics } from './metrics.js';
import type { Output } from './output.js';
import { positionTime } from './position.js';

export interface IngestorSettings {
  streamUrl: string;
  userAgent: string;
  /** Backfill start (ISO); overrides the checkpoint's position for the first connection. */
  since?: string | undefined;
  stallTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  dedupWindow: number;
  wikis: readonly string[];
  langs: readonly string[];
  /** Larger events are dead-lettered, truncated. */
  maxEventBytes: number;
  batchMaxEvents: number;
  batchMaxBytes: number;
  lingerMs: number;
  maxInFlight: number;
  checkpointIntervalMs: number;
  /** How many recent ids a checkpoint carries (file checkpoints; 0 for Kafka). */
  checkpointIds: number;
  /** Parse and validate on a worker thread (when the built worker script is there). */
  parseWorker: boolean;
}

export interface IngestorParts {
  settings: IngestorSettings;
  output: Output;
  checkpoints: CheckpointStore | undefined;
  /** The checkpoint loaded at start, if any. */
  resumeFrom: Checkpoint | undefined;
  /** `meta.id`s already in the output (oldest first): the window starts with them. */
  seenIds: Iterable<string>;
  log: Logger;
  metrics: IngestorMetrics;
  /** The output failed for good: the process must restart from its checkpoint. */
  onFatal(error: unknown): void;
  /** When events are received and checkpoints saved; the system clock by default. */
  clock?: Clock;
}

/** Events the reading thread judges per batch (or whatever arrived by the end of its turn). */
const READ_BATCH_EVENTS = 128;
/**
 * Events read but not yet applied above which reading waits. A reading thread runs ahead
 * while the main thread produces; on one thread reading and producing take turns, and a deep
 * queue only keeps events alive across young collections: in `bench:ingest` with
 * `PARSE_WORKER=false`, 1,024 had V8 promote most of them and run a full collection every
 * 200 ms (31,000 events/s at 37 ms per 1,000), 64 reached 39,500 events/s at 23 ms.
 */
const READ_MAX_PENDING = { worker: 1024, inline: 64 } as const;

/**
 * The ingest loop: stream → classify → batch → output, and checkpoints of the acknowledged
 * position. Everything here runs on the stream's callbacks; nothing blocks.
 */
export class Ingestor {
  readonly #parts: IngestorParts;
  readonly #clock: Clock;
  readonly #dedup: DedupWindow;
  readonly #batcher: Batcher;
  readonly #reader: Reader;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #savedPosition: string | undefined;

  constructor(parts: IngestorParts) {
    this.#parts = parts;
    this.#clock = parts.clock ?? systemClock;
    const { settings, log, metrics, output } = parts;
    const { stats } = metrics;
    this.#dedup = new DedupWindow(settings.dedupWindow);
    for (const id of parts.seenIds) this.#dedup.add(id);
    this.#savedPosition = parts.resumeFrom?.position;
    this.#batcher = new Batcher({
      writer: output,
      maxEvents: settings.batchMaxEvents,
      maxBytes: settings.batchMaxBytes,
      lingerMs: settings.lingerMs,
      maxInFlight: settings.maxInFlight,
      onAcked: (mark, batch) => {
        stats.produced += batch.events;
        metrics.produceLatency.observe(batch.latencyMs / 1000);
        if (mark) stats.positionSeconds = (positionTime(mark.position) ?? 0) / 1000;
      },
      onError: (error) => parts.onFatal(error),
    });
    const batcher = this.#batcher;
    const worker = settings.parseWorker ? builtWorker() : undefined;
    // Verdicts arrive in stream order; deduplication and the position stay on this thread.
    this.#reader = new Reader({
      settings: {
        stream: {
          url: settings.streamUrl,
          userAgent: settings.userAgent,
          position: settings.since === undefined ? parts.resumeFrom?.position : undefined,
          since: settings.since,
          stallTimeoutMs: settings.stallTimeoutMs,
          reconnectMinMs: settings.reconnectMinMs,
          reconnectMaxMs: settings.reconnectMaxMs,
        },
        rules: {
          wikis: [...settings.wikis],
          langs: [...settings.langs],
          maxEventBytes: settings.maxEventBytes,
        },
        batchEvents: READ_BATCH_EVENTS,
        maxPending: worker ? READ_MAX_PENDING.worker : READ_MAX_PENDING.inline,
      },
      worker,
      handler: new Intake(this.#dedup, batcher, stats),
      log: log.child({ component: 'stream' }),
      // Reading waits for the batcher's room: memory stays bounded whatever Kafka's speed.
      writable: () => batcher.writable(),
      onReceived: (events, bytes) => {
        stats.received += events;
        stats.bytes += bytes;
      },
      onReconnect: (reason) => {
        stats.reconnects.set(reason, (stats.reconnects.get(reason) ?? 0) + 1);
      },
      onError: (error) => parts.onFatal(error),
      clock: this.#clock,
    });
  }

  /** Ready: connected to the stream and the output takes writes. */
  get ready(): boolean {
    return this.#reader.connected && this.#parts.output.writable;
  }

  get connected(): boolean {
    return this.#reader.connected;
  }

  /** The acknowledged position, as a checkpoint would save it. */
  get acked(): AckedMark | undefined {
    return this.#batcher.acked;
  }

  start(): void {
    const { log, settings, resumeFrom } = this.#parts;
    log.info(
      {
        url: settings.streamUrl,
        resumeFrom: settings.since === undefined ? (resumeFrom?.position ?? null) : null,
        since: settings.since ?? null,
        knownIds: this.#dedup.size,
      },
      'ingestor starting',
    );
    this.#parts.metrics.stats.connected = () => this.#reader.connected;
    this.#reader.start();
    this.#checkpointTimer = setInterval(() => {
      void this.#checkpoint().catch((error: unknown) => {
        log.error({ err: error }, 'saving the checkpoint failed');
      });
    }, settings.checkpointIntervalMs);
  }

  /**
   * Stops reading, waits for the verdicts of everything read and for every batch to be
   * acknowledged, saves the final checkpoint.
   */
  async stop(): Promise<void> {
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    try {
      await this.#reader.stop();
      await this.#batcher.drain();
      await this.#saving;
      await this.#checkpoint();
    } finally {
      await this.#reader.close();
    }
  }

  #checkpoint(): Promise<void> {
    if (this.#saving) return this.#saving;
    const store = this.#parts.checkpoints;
    const mark = this.#batcher.acked;
    if (!store || !mark || mark.position === this.#savedPosition) return Promise.resolve();
    const { settings, output } = this.#parts;
    const recentIds =
      settings.checkpointIds > 0
        ? this.#dedup.recent(settings.checkpointIds, mark.dedupMark)
        : undefined;
    this.#saving = (async () => {
      try {
        await output.sync();
        await store.save({
          position: mark.position,
          receivedAt: mark.receivedAt,
          savedAt: this.#clock().getTime(),
          ...(recentIds ? { recentIds } : {}),
        });
        this.#savedPosition = mark.position;
      } finally {
        this.#saving = undefined;
      }
    })();
    return this.#saving;
  }
}
