import { isCanary, parseEvent } from '@wikipulse/events';
// The worker thread loads this module: the dead-letter helpers alone, not the Kafka client.
import { DEAD_LETTER_MAX_BYTES, truncateUtf8 } from '@wikipulse/kafka/dead-letter';
import type { EventFilter } from '../filters.js';
import { messageKey } from '../message.js';
import { VerdictWriter, type DeadReason, type EncodedVerdicts } from './verdicts.js';

/** What an event is judged against. */
export interface JudgeRules {
  filter: EventFilter;
  /** Larger events are dead-lettered, truncated (UTF-8 bytes). */
  maxEventBytes: number;
}

/** Why an event is refused, for its dead letter. */
export interface Refusal {
  reason: DeadReason;
  detail: string;
}

/** What became of an event: refused events go to the dead-letter topic. */
export type Outcome = 'accepted' | 'dropped' | Refusal;

/**
 * Judges one SSE `data` payload, in order: refuse what is invalid (it goes to the dead-letter
 * topic), drop canaries, drop what the filters exclude. Writes the verdict of an event it
 * accepts or drops; a refusal is returned for the caller to write with the event's position.
 * Deduplication is not part of it: the window lives on the thread that applies the verdicts in
 * stream order, and filtering first keeps unwanted ids out of the window, so a filtered
 * pipeline remembers further back.
 */
export function judge(
  out: VerdictWriter,
  data: string,
  { filter, maxEventBytes }: JudgeRules,
): Outcome {
  // A UTF-16 unit takes at most 3 UTF-8 bytes: most events need no byte count.
  if (data.length * 3 > maxEventBytes) {
    const bytes = Buffer.byteLength(data);
    if (bytes > maxEventBytes) {
      return {
        reason: 'too_large',
        detail: `the event has ${bytes} bytes; at most ${maxEventBytes} are accepted (MAX_EVENT_BYTES, or the topic's max.message.bytes)`,
      };
    }
  }
  const parsed = parseEvent(data);
  if (!parsed.ok) return { reason: parsed.reason, detail: parsed.detail };
  const event = parsed.event;
  if (isCanary(event)) {
    out.canary();
    return 'dropped';
  }
  if (!filter(event)) {
    out.filtered();
    return 'dropped';
  }
  out.accept(event.meta.id, messageKey(event), Date.parse(event.meta.dt));
  return 'accepted';
}

/** A batch's verdicts, and the UTF-8 bytes of the events that are kept. */
export interface Judgement {
  verdicts: EncodedVerdicts;
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
 * Where a batch's kept events are encoded before their exact bytes are copied out: writing
 * into room known to be large enough (a UTF-16 unit takes at most 3 UTF-8 bytes) spares each
 * event a separate pass to count its bytes, which costs as much as the encoding itself.
 */
let scratch = Buffer.allocUnsafeSlow(1 << 20);

/**
 * Judges a batch and encodes the kept events' text as UTF-8 into one buffer of its own (not
 * a slice of Node's shared pool, so that a worker thread can transfer it without a copy): the
 * thread that produces them then neither keeps the text alive while it waits nor encodes it.
 * An event too large for Kafka is kept cut to `DEAD_LETTER_MAX_BYTES`.
 */
export function judgeBatch({ data: batch, positions }: Submission, rules: JudgeRules): Judgement {
  const out = new VerdictWriter();
  // Positions are needed for dead letters only, which are rare: split on the first one.
  let split: string[] | undefined;
  const ends = new Uint32Array(batch.length);
  let total = 0;
  for (let i = 0; i < batch.length; i += 1) {
    const data = batch[i]!;
    const outcome = judge(out, data, rules);
    let text: string | undefined = data;
    if (outcome === 'dropped') text = undefined;
    else if (outcome !== 'accepted') {
      out.dead(outcome.reason, outcome.detail, (split ??= positions.split('\n'))[i] ?? '');
      if (outcome.reason === 'too_large') text = truncateUtf8(data, DEAD_LETTER_MAX_BYTES);
    }
    if (text !== undefined) {
      const room = total + text.length * 3;
      if (room > scratch.length) {
        const larger = Buffer.allocUnsafeSlow(Math.max(room, scratch.length * 2));
        scratch.copy(larger, 0, 0, total);
        scratch = larger;
      }
      total += scratch.write(text, total, 'utf8');
    }
    ends[i] = total;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  scratch.copy(bytes, 0, 0, total);
  return { verdicts: out.encoded, bytes: bytes.buffer, ends };
}
