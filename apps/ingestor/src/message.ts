import type { RecentChange } from '@wikipulse/events';
import type { OutgoingMessage } from '@wikipulse/kafka';

/**
 * The Kafka key: `wiki|title` (the page), or `meta.id` for an event without a page.
 *
 * Why the page: consumers get every change of one page in order on one partition (diffs,
 * edit wars, revert detection), and the key still spreads the skewed traffic, because Commons'
 * and Wikidata's share is spread over millions of pages rather than concentrated on one key
 * per wiki (keying by wiki would put a third of all traffic on one partition). The hottest
 * single page rarely sees more than a few edits a second, which no partition notices.
 */
export function messageKey(event: RecentChange): string {
  const { wiki, title } = event;
  if (typeof wiki === 'string' && typeof title === 'string' && wiki !== '' && title !== '') {
    return `${wiki}|${title}`;
  }
  return event.meta.id;
}

/**
 * Header names on produced events: consumers deduplicate without parsing the value (the
 * ingestor itself does, rebuilding its window on start). Only one: every header is encoded per
 * message on the ingestor's busiest thread, into several pieces of the record. The schema and
 * content type are the same for every event of the topic, and the wiki is in the key.
 */
export const HEADER = {
  metaId: 'meta-id',
} as const;

/**
 * The Kafka message for an accepted event, from what its verdict carries (the event itself was
 * parsed on another thread): the value is the event's JSON exactly as received (no
 * re-serialisation: reprocessing sees what Wikimedia sent). The Kafka timestamp is left to the
 * client, which stamps the produce time: never earlier than the receipt, which is all the
 * restart logic needs when it looks events up by time, and cheaper than a timestamp per message.
 */
export function acceptedMessage(
  metaId: string,
  key: string,
  raw: string | Buffer,
): OutgoingMessage {
  return { key, value: raw, headers: { [HEADER.metaId]: metaId } };
}
