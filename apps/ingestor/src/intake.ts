import { deadLetterMessage } from '@wikipulse/kafka';
import type { Batcher } from './batcher.js';
import type { DeadReason, VerdictHandler } from './classify/index.js';
import type { DedupWindow } from './dedup.js';
import { acceptedMessage } from './message.js';
import type { IngestorStats } from './metrics.js';

/**
 * Where verdicts land, in stream order, on the reading thread: accepted events pass the
 * deduplication window into the batcher, refused ones go to the batcher as dead letters, and
 * the position after each judged batch marks the batcher so checkpoints follow what is acked.
 */
export class Intake implements VerdictHandler {
  readonly #dedup: DedupWindow;
  readonly #batcher: Batcher;
  readonly #stats: IngestorStats;

  constructor(dedup: DedupWindow, batcher: Batcher, stats: IngestorStats) {
    this.#dedup = dedup;
    this.#batcher = batcher;
    this.#stats = stats;
  }

  accept(value: Buffer, metaId: string, key: string, dtMs: number, receivedAt: number): void {
    const stats = this.#stats;
    if (!this.#dedup.add(metaId)) {
      stats.dropped.duplicate += 1;
      return;
    }
    this.#batcher.add(acceptedMessage(metaId, key, value), value.length);
    // The lag of the newest event: its date was parsed on the reading thread.
    if (!Number.isNaN(dtMs)) stats.lagSeconds = (receivedAt - dtMs) / 1000;
  }

  drop(reason: 'canary' | 'filtered'): void {
    this.#stats.dropped[reason] += 1;
  }

  dead(
    value: Buffer,
    reason: DeadReason,
    detail: string,
    position: string,
    receivedAt: number,
  ): void {
    const letter = deadLetterMessage({
      reason,
      detail,
      by: 'wikipulse-ingestor',
      source: { position },
      value,
      timestamp: receivedAt,
    });
    this.#batcher.addDeadLetter(letter, value.length);
    const counts = this.#stats.deadLettered;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }

  passed(position: string, receivedAt: number): void {
    this.#batcher.mark({ position, receivedAt, dedupMark: this.#dedup.added });
  }
}
