import { isCanary, parseEvent } from '@wikipulse/events';
// The worker thread loads this module: the dead-letter helpers alone, not the Kafka client.
import { DEAD_LETTER_MAX_BYTES, truncateUtf8 } from '@wikipulse/kafka/dead-letter';
import { VERDICT, type Verdicts } from './classify.js';
import type { EventFilter } from './filters.js';
import { messageKey } from './message.js';

/**
 * Judges one SSE `data` payload, in order: refuse what is invalid (it goes to the dead-letter
 * topic), drop canaries, drop what the filters exclude. Deduplication is not part of it: the
 * window lives on the thread that applies the verdicts in stream order, and filtering first
 * keeps unwanted ids out of the window, so a filtered pipeline remembers further back.
 */
export function judge(
  out: Verdicts,
  data: string,
  filter: EventFilter,
  maxEventBytes: number,
): void {
  // A UTF-16 unit takes at most 3 UTF-8 bytes: most events need no byte count.
  if (data.length * 3 > maxEventBytes) {
    const bytes = Buffer.byteLength(data);
    if (bytes > maxEventBytes) {
      out.push(
        VERDICT.dead,
        TOO_LARGE,
        `the event has ${bytes} bytes; at most ${maxEventBytes} are accepted (MAX_EVENT_BYTES, or the topic's max.message.bytes)`,
      );
      return;
    }
  }
  const parsed = parseEvent(data);
  if (!parsed.ok) {
    // The position, the verdict's last field, is the batch's to add (`judgeBatch`).
    out.push(VERDICT.dead, parsed.reason, parsed.detail);
    return;
  }
  const event = parsed.event;
  if (isCanary(event)) out.push(VERDICT.canary);
  else if (!filter(event)) out.push(VERDICT.filtered);
  else {
    const wiki = typeof event.wiki === 'string' ? event.wiki : null;
    out.push(VERDICT.accept, event.meta.id, messageKey(event), wiki, Date.parse(event.meta.dt));
  }
}

/** The dead-letter reason of an event larger than the topic takes. */
export const TOO_LARGE = 'too_large';

/** What an event is judged against. */
export interface JudgeRules {
  filter: EventFilter;
  /** Larger events are dead-lettered, truncated (UTF-8 bytes). */
  maxEventBytes: number;
}

/** A batch's verdicts, and the UTF-8 bytes of the events that are kept. */
export interface Judgement {
  verdicts: Verdicts;
  /** The kept (accepted or dead-lettered) events' bytes, back to back. */
  bytes: ArrayBuffer;
  /** Where each event's bytes end in `bytes`; an event that is not kept has none. */
  ends: Uint32Array;
}

/** A batch of SSE messages to judge. */
export interface Submission {
  data: string[];
  /** Each message's stream position (SSE id), joined by newlines (an SSE id has none). */
  positions: string;
}

/**
 * Judges a batch and encodes the kept events' text as UTF-8 into one buffer of its own (not
 * a slice of Node's shared pool, so that a worker thread can transfer it without a copy): the
 * thread that produces them then neither keeps the text alive while it waits nor encodes it.
 */
export function judgeBatch(
  { data: batch, positions }: Submission,
  { filter, maxEventBytes }: JudgeRules,
): Judgement {
  const verdicts: Verdicts = [];
  // Positions are needed for dead letters only, which are rare: split on the first one.
  let split: string[] | undefined;
  const ends = new Uint32Array(batch.length);
  const kept: string[] = [];
  let total = 0;
  for (let i = 0; i < batch.length; i += 1) {
    const data = batch[i]!;
    const at = verdicts.length;
    judge(verdicts, data, filter, maxEventBytes);
    const tag = verdicts[at];
    if (tag === VERDICT.dead) verdicts.push((split ??= positions.split('\n'))[i] ?? '');
    if (tag === VERDICT.accept || tag === VERDICT.dead) {
      const text =
        verdicts[at + 1] === TOO_LARGE ? truncateUtf8(data, DEAD_LETTER_MAX_BYTES) : data;
      total += Buffer.byteLength(text);
      kept.push(text);
    }
    ends[i] = total;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  for (const data of kept) offset += bytes.write(data, offset, 'utf8');
  return { verdicts, bytes: bytes.buffer, ends };
}
