import { isCanary, parseEvent, type RecentChange, type RejectReason } from '@wikipulse/events';
import type { DedupWindow } from './dedup.js';
import type { EventFilter } from './filters.js';

export type DropReason = 'canary' | 'duplicate' | 'filtered';

export type Outcome =
  | { kind: 'accept'; event: RecentChange }
  | { kind: 'dead'; reason: RejectReason; detail: string }
  | { kind: 'drop'; reason: DropReason };

/**
 * What happens to one SSE `data` payload, in order: refuse what is invalid (it goes to the
 * dead-letter topic), drop canaries, drop what the filters exclude, then drop a repeat of a
 * recently accepted `meta.id`. Filtering before deduplication keeps unwanted ids out of the
 * window, so a filtered pipeline remembers further back.
 */
export function classify(data: string, dedup: DedupWindow, filter: EventFilter): Outcome {
  const parsed = parseEvent(data);
  if (!parsed.ok) return { kind: 'dead', reason: parsed.reason, detail: parsed.detail };
  const event = parsed.event;
  if (isCanary(event)) return { kind: 'drop', reason: 'canary' };
  if (!filter(event)) return { kind: 'drop', reason: 'filtered' };
  if (!dedup.add(event.meta.id)) return { kind: 'drop', reason: 'duplicate' };
  return { kind: 'accept', event };
}
