/**
 * The stream position: EventStreams' SSE `id`, a JSON array with one entry per upstream
 * topic-partition (`timestamp` in production, `offset` in some deployments). Wikipulse treats it
 * as opaque text to hand back as `Last-Event-ID`, and reads it only to check it and to report
 * how far the ingestor has come.
 */

export interface PartitionPosition {
  topic: string;
  partition: number;
  timestamp?: number;
  offset?: number;
}

/** The parsed entries of an SSE id, or undefined when it is not one. */
export function parsePosition(id: string): PartitionPosition[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(id);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: PartitionPosition[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { topic, partition, timestamp, offset } = item as Record<string, unknown>;
    if (typeof topic !== 'string' || typeof partition !== 'number') return undefined;
    if (typeof timestamp !== 'number' && typeof offset !== 'number') return undefined;
    out.push({
      topic,
      partition,
      ...(typeof timestamp === 'number' ? { timestamp } : {}),
      ...(typeof offset === 'number' ? { offset } : {}),
    });
  }
  return out;
}

export function isPosition(id: string): boolean {
  return parsePosition(id) !== undefined;
}

/** The newest timestamp in a position (epoch ms), for the position metric and logs. */
export function positionTime(id: string): number | undefined {
  const entries = parsePosition(id);
  if (!entries) return undefined;
  let newest: number | undefined;
  for (const entry of entries) {
    if (entry.timestamp !== undefined && entry.timestamp >= 0) {
      newest = newest === undefined ? entry.timestamp : Math.max(newest, entry.timestamp);
    }
  }
  return newest;
}

/**
 * A `--since`/`SINCE` value as the stream's `?since=` takes it: epoch milliseconds, or a date
 * that `Date.parse` reads (ISO-8601), normalised to ISO. Undefined when unreadable.
 */
export function normaliseSince(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString();
}

/** The stream URL with `since` set, for the first connection of a backfill. */
export function withSince(url: string, since: string): string {
  const target = new URL(url);
  target.searchParams.set('since', since);
  return target.toString();
}
