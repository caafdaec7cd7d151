import type { RejectReason } from '@wikipulse/events';

export type DropReason = 'canary' | 'duplicate' | 'filtered';

/**
 * Verdicts travel as one flat array per batch of events, a tag followed by its fields, because
 * a worker thread sends them back: an array of strings and numbers is much cheaper to copy
 * between threads than an object per event.
 *
 * - `ACCEPT, metaId, key, wiki | null, dtMs` (dtMs: `meta.dt` in epoch ms, NaN if unparsable)
 * - `CANARY`, `FILTERED`
 * - `DEAD, reason, detail, position` (position: the event's SSE id)
 */
export const VERDICT = { accept: 0, canary: 1, filtered: 2, dead: 3 } as const;

export type Verdicts = (string | number | null)[];

/**
 * What the ingestor does with each verdict, called in stream order. `value` is the event's
 * `data` exactly as received, as UTF-8 bytes: encoded by the thread that judged it, so that
 * the Kafka encoder only copies them. `receivedAt` is when the event's batch arrived.
 */
export interface VerdictHandler {
  accept(
    value: Buffer,
    metaId: string,
    key: string,
    wiki: string | undefined,
    dtMs: number,
    receivedAt: number,
  ): void;
  drop(reason: 'canary' | 'filtered'): void;
  dead(
    value: Buffer,
    reason: RejectReason,
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

/** Hands each of a batch's `count` verdicts to the handler, in order; `values` are per event. */
export function applyVerdicts(
  verdicts: Verdicts,
  values: readonly Buffer[],
  count: number,
  receivedAt: number,
  handler: VerdictHandler,
): void {
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const tag = verdicts[at];
    if (tag === VERDICT.accept) {
      const wiki = verdicts[at + 3] as string | null;
      handler.accept(
        values[i]!,
        verdicts[at + 1] as string,
        verdicts[at + 2] as string,
        wiki ?? undefined,
        verdicts[at + 4] as number,
        receivedAt,
      );
      at += 5;
    } else if (tag === VERDICT.dead) {
      handler.dead(
        values[i]!,
        verdicts[at + 1] as RejectReason,
        verdicts[at + 2] as string,
        verdicts[at + 3] as string,
        receivedAt,
      );
      at += 4;
    } else if (tag === VERDICT.canary || tag === VERDICT.filtered) {
      handler.drop(tag === VERDICT.canary ? 'canary' : 'filtered');
      at += 1;
    } else {
      throw new Error(`malformed verdicts: tag ${String(tag)} at ${at} for event ${i}`);
    }
  }
  if (at !== verdicts.length) {
    throw new Error(`malformed verdicts: ${verdicts.length - at} values left over`);
  }
}
