import { open, rename } from 'node:fs/promises';
import type { KafkaBus, Producer } from '@wikipulse/kafka';
import { readTail } from '@wikipulse/kafka';
import { isPosition } from './position.js';

/**
 * Where the ingestor stands, saved only after every event before `position` is durable in
 * the output, so a restart from it never skips an event.
 */
export interface Checkpoint {
  /** The SSE id to resume from (Last-Event-ID). */
  position: string;
  /** When the event at `position` was received (epoch ms): where the restart lookback starts. */
  receivedAt: number;
  savedAt: number;
  /**
   * The newest accepted `meta.id`s up to `position`, for stdout output only: Kafka and a JSONL
   * file are read back on start to rebuild the deduplication window, stdout cannot be.
   */
  recentIds?: string[];
}

export interface CheckpointStore {
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}

/** A checkpoint from its JSON text; undefined when it is not one. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { position, receivedAt, savedAt, recentIds } = value as Record<string, unknown>;
  if (typeof position !== 'string' || !isPosition(position)) return undefined;
  if (typeof receivedAt !== 'number' || typeof savedAt !== 'number') return undefined;
  const ids =
    Array.isArray(recentIds) && recentIds.every((id) => typeof id === 'string')
      ? recentIds
      : undefined;
  return { position, receivedAt, savedAt, ...(ids ? { recentIds: ids } : {}) };
}

/**
 * A file replaced atomically: write a temporary file, fsync it, rename it over the old one.
 * A `kill -9` at any moment leaves either the old or the new checkpoint, never half of one.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      const handle = await open(this.#path, 'r');
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const checkpoint = parseCheckpoint(text);
    if (!checkpoint) throw new Error(`${this.#path} is not a Wikipulse ingestor checkpoint`);
    return checkpoint;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const temporary = `${this.#path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(checkpoint));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.#path);
  }
}

/**
 * The checkpoint as a record in a compacted Kafka topic, keyed by the output topic: it lives
 * with the data it describes (no volume needed in Kubernetes), compaction keeps only the
 * newest record per key, and it is written with the same idempotent acks=all producer as the
 * events, after they are acknowledged.
 */
export class KafkaCheckpointStore implements CheckpointStore {
  readonly #bus: KafkaBus;
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #key: string;

  constructor(bus: KafkaBus, producer: Producer, topic: string, key: string) {
    this.#bus = bus;
    this.#producer = producer;
    this.#topic = topic;
    this.#key = key;
  }

  /** Topic settings: compacted, segments rolled hourly so compaction keeps the topic small. */
  static topicConfig(): Record<string, string> {
    return {
      'cleanup.policy': 'compact',
      'segment.ms': '3600000',
      'min.cleanable.dirty.ratio': '0.1',
    };
  }

  async load(): Promise<Checkpoint | undefined> {
    let found: Checkpoint | undefined;
    await readTail(this.#bus, { topic: this.#topic, maxPerPartition: 1_000_000 }, (m) => {
      if (m.key?.toString('utf8') !== this.#key || !m.value) return;
      found = parseCheckpoint(m.value.toString('utf8')) ?? found;
    });
    return found;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await this.#producer.send(this.#topic, [
      {
        key: this.#key,
        value: JSON.stringify(checkpoint),
        headers: { 'content-type': 'application/json' },
      },
    ]);
  }
}
