import type { OutgoingMessage } from '@wikipulse/kafka';
import type { DeadLetter } from './pending.js';

/** Header names on dead-lettered messages. */
export const DEAD_LETTER_HEADERS = {
  reason: 'reason',
  detail: 'detail',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  sourceTimestamp: 'source-timestamp',
  by: 'dead-lettered-by',
} as const;

/**
 * The dead-letter copy of a message: its key and value untouched (so it can be replayed once
 * fixed), its own headers kept, and headers saying why and where it came from.
 */
export function deadLetterMessage(letter: DeadLetter): OutgoingMessage {
  const { message } = letter;
  const h = DEAD_LETTER_HEADERS;
  return {
    key: message.key?.toString('utf8') ?? null,
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      [h.reason]: letter.reason,
      [h.detail]: letter.detail.slice(0, 500),
      [h.sourceTopic]: message.topic,
      [h.sourcePartition]: String(message.partition),
      [h.sourceOffset]: message.offset,
      [h.sourceTimestamp]: String(message.timestamp),
      [h.by]: 'wikipulse-sink',
    },
  };
}
