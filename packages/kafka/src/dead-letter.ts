import type { Headers, IncomingMessage, OutgoingMessage } from './types.js';

/**
 * The dead-letter topic's one format, whichever app refused the event: the key, value and
 * headers it had (so it can be replayed once fixed), and headers saying why, who refused it and
 * where it came from. Only an event too large for Kafka is kept cut (`DEAD_LETTER_MAX_BYTES`).
 */
export const DEAD_LETTER_HEADERS = {
  /** A short machine-readable reason, such as `invalid_json` or `too_large`. */
  reason: 'reason',
  /** What exactly was wrong, for a human; at most `DETAIL_MAX_CHARS` characters. */
  detail: 'detail',
  /** The app that refused it: `wikipulse-ingestor` or `wikipulse-sink`. */
  by: 'dead-lettered-by',
  /** From the stream: the EventStreams position after the event (a `Last-Event-ID`). */
  sourcePosition: 'source-position',
  /** From Kafka: where the refused message was read. */
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  sourceTimestamp: 'source-timestamp',
} as const;

/** Headers are not meant for megabytes; the whole text is in the value anyway. */
export const DETAIL_MAX_CHARS = 500;

/**
 * How much of an event too large for Kafka its dead letter keeps: enough to see what it was,
 * far below any topic's message limit.
 */
export const DEAD_LETTER_MAX_BYTES = 64 * 1024;

/** Where a refused event came from. */
export type DeadLetterSource =
  { position: string } | Pick<IncomingMessage, 'topic' | 'partition' | 'offset' | 'timestamp'>;

export interface DeadLetter {
  reason: string;
  detail: string;
  by: 'wikipulse-ingestor' | 'wikipulse-sink';
  source: DeadLetterSource;
  value: Buffer | string;
  key?: string | null;
  /** The headers the event already had; kept. */
  headers?: Headers;
  /** Epoch milliseconds; the broker's time when absent. */
  timestamp?: number;
}

/** The longest prefix of `text` whose UTF-8 form fits in `limit` bytes; no character is cut. */
export function truncateUtf8(text: string, limit: number): string {
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(limit));
  return text.slice(0, read);
}

/** The message for the dead-letter topic. */
export function deadLetterMessage(letter: DeadLetter): OutgoingMessage {
  const h = DEAD_LETTER_HEADERS;
  const { detail, source } = letter;
  return {
    key: letter.key ?? null,
    value: letter.value,
    headers: {
      ...letter.headers,
      [h.reason]: letter.reason,
      [h.detail]:
        detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS - 3)}...` : detail,
      [h.by]: letter.by,
      ...('position' in source
        ? { [h.sourcePosition]: source.position }
        : {
            [h.sourceTopic]: source.topic,
            [h.sourcePartition]: String(source.partition),
            [h.sourceOffset]: source.offset,
            [h.sourceTimestamp]: String(source.timestamp),
          }),
    },
    ...(letter.timestamp === undefined ? {} : { timestamp: letter.timestamp }),
  };
}
