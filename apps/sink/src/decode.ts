import { isCanary, parseEvent, type RejectReason } from '@wikipulse/events';
import type { IncomingMessage } from '@wikipulse/kafka';
import { toChangeRow, type ChangeRow } from '@wikipulse/store';

/** Why a message went to the dead-letter topic; the `reason` header and a metric label. */
export type DeadLetterReason =
  RejectReason | 'empty_value' | 'unmappable' | 'refused_by_clickhouse';

export type Decoded =
  | { kind: 'row'; row: ChangeRow }
  | { kind: 'skip'; why: 'canary' }
  | { kind: 'dead'; reason: DeadLetterReason; detail: string };

/**
 * One Kafka message (the event's JSON exactly as EventStreams sent it) → its `changes` row, a
 * skip, or a dead letter with the reason. Pure, so redelivered messages give identical rows.
 */
export function decodeMessage(message: Pick<IncomingMessage, 'value'>): Decoded {
  if (message.value === null || message.value.length === 0) {
    return { kind: 'dead', reason: 'empty_value', detail: 'the message has no value' };
  }
  const parsed = parseEvent(message.value.toString('utf8'));
  if (!parsed.ok) return { kind: 'dead', reason: parsed.reason, detail: parsed.detail };
  if (isCanary(parsed.event)) return { kind: 'skip', why: 'canary' };
  try {
    return { kind: 'row', row: toChangeRow(parsed.event) };
  } catch (error) {
    return { kind: 'dead', reason: 'unmappable', detail: (error as Error).message };
  }
}
