import type { RejectReason } from '@wikipulse/events';

export type DropReason = 'canary' | 'duplicate' | 'filtered';

/** Why an event goes to the dead-letter topic: invalid, or larger than Kafka takes. */
export type DeadReason = RejectReason | 'too_large';

/**
 * What the ingestor does with each verdict, called in stream order. `value` is the event's
 * `data` exactly as received, as UTF-8 bytes: encoded by the thread that judged it, so that
 * the Kafka encoder only copies them. `receivedAt` is when the event's batch arrived.
 */
export interface VerdictHandler {
  accept(value: Buffer, metaId: string, key: string, dtMs: number, receivedAt: number): void;
  drop(reason: 'canary' | 'filtered'): void;
  dead(
    value: Buffer,
    reason: DeadReason,
    detail: string,
    position: string,
    receivedAt: number,
  ): void;
  /**
   * Every event up to the stream position `position` has been handed on; called after each
   * batch's verdicts, with the position after its last event.
   */
  passed(position: string, receivedAt: number): void;
}

/**
 * The verdict codec. A batch's verdicts travel between threads as one flat array, a tag followed
 * by its fields, because an array of strings and numbers is much cheaper to copy than an object
 * per event. `VerdictWriter` is the only code that writes that array and `readVerdicts` the only
 * code that reads it, so the layout below is private to this module:
 *
 * - `ACCEPT, metaId, key, dtMs` (dtMs: `meta.dt` in epoch ms, NaN if unparsable)
 * - `CANARY`, `FILTERED`
 * - `DEAD, reason, detail, position` (position: the stream position after the event)
 */
const TAG = { accept: 0, canary: 1, filtered: 2, dead: 3 } as const;

/** A batch's encoded verdicts, as they cross from the judging thread. */
export type EncodedVerdicts = (string | number)[];

/** Encodes one batch's verdicts, one call per event, in stream order. */
export class VerdictWriter {
  readonly encoded: EncodedVerdicts = [];

  accept(metaId: string, key: string, dtMs: number): void {
    this.encoded.push(TAG.accept, metaId, key, dtMs);
  }

  canary(): void {
    this.encoded.push(TAG.canary);
  }

  filtered(): void {
    this.encoded.push(TAG.filtered);
  }

  dead(reason: DeadReason, detail: string, position: string): void {
    this.encoded.push(TAG.dead, reason, detail, position);
  }
}

/**
 * Hands each of a batch's `count` verdicts to the handler, in order; `values` holds each
 * event's bytes (empty for an event that is not kept). Throws when the verdicts do not match
 * the batch.
 */
export function readVerdicts(
  encoded: EncodedVerdicts,
  values: readonly Buffer[],
  count: number,
  receivedAt: number,
  handler: VerdictHandler,
): void {
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const tag = encoded[at];
    if (tag === TAG.accept) {
      handler.accept(
        values[i]!,
        encoded[at + 1] as string,
        encoded[at + 2] as string,
        encoded[at + 3] as number,
        receivedAt,
      );
      at += 4;
    } else if (tag === TAG.dead) {
      handler.dead(
        values[i]!,
        encoded[at + 1] as DeadReason,
        encoded[at + 2] as string,
        encoded[at + 3] as string,
        receivedAt,
      );
      at += 4;
    } else if (tag === TAG.canary || tag === TAG.filtered) {
      handler.drop(tag === TAG.canary ? 'canary' : 'filtered');
      at += 1;
    } else {
      throw new Error(`malformed verdicts: tag ${String(tag)} at ${at} for event ${i}`);
    }
  }
  if (at !== encoded.length) {
    throw new Error(`malformed verdicts: ${encoded.length - at} values left over`);
  }
}
