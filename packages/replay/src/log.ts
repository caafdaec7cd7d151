/**
 * The virtual event log a local EventStreams server plays. Entry `i` is a pure function of
 * `i`, so a resumed connection (Last-Event-ID or `?since=`) replays exactly the bytes an
 * earlier connection saw, as Wikimedia's Kafka-backed service does, without keeping millions
 * of events in memory during long benchmark runs.
 */

export type EntryKind = 'event' | 'duplicate' | 'canary' | 'malformed';

export interface LogEntry {
  index: number;
  kind: EntryKind;
  /** The `data:` payload exactly as sent. */
  data: string;
  /** Epoch ms: the timestamp in the entry's SSE id. */
  timestamp: number;
  /** The `meta.id` the payload carries, when it has one. */
  metaId: string | undefined;
}

export interface EventLogOptions {
  /** Source events as JSON text, one per entry. */
  lines: readonly string[];
  /**
   * Send the source lines verbatim on the first pass (later passes always get fresh ids).
   * When false, every event gets a fresh `meta.id` and `meta.dt` from the first pass on.
   */
  verbatimFirstPass?: boolean;
  /** Entries in the log; unbounded (looping) when absent. */
  limit?: number;
  /** Timestamp of entry 0, epoch ms. */
  startMs?: number;
  /** Timestamp step between entries, ms; below 1 puts several entries in one millisecond. */
  stepMs?: number;
  /** Every n-th entry repeats the last real event (same `meta.id`), as the live stream sometimes does. */
  duplicateEvery?: number;
  /** Every n-th entry is a canary event (`meta.domain == "canary"`). */
  canaryEvery?: number;
  /** Every n-th entry is malformed: bad JSON, a schema failure, or no UUID `meta.id`, in turn. */
  malformedEvery?: number;
  /** Distinguishes the fresh ids of one server from another's. */
  seed?: number;
}

interface Template {
  /** Split around the placeholders for meta.id and meta.dt; null when the line is not JSON. */
  parts: readonly [string, string, string] | null;
  /** `parts` as UTF-8. */
  bytes: readonly [Buffer, Buffer, Buffer] | null;
  /** The `meta.id` position comes before `meta.dt` in this template. */
  idFirst: boolean;
}

const ID_MARK = '\u0000id\u0000';
const DT_MARK = '\u0000dt\u0000';

export const MALFORMED_KINDS = ['invalid_json', 'schema', 'missing_id'] as const;

export class EventLog {
  readonly limit: number;
  readonly startMs: number;
  readonly stepMs: number;
  readonly #lines: readonly string[];
  readonly #templates: Template[];
  readonly #verbatim: boolean;
  readonly #duplicateEvery: number;
  readonly #canaryEvery: number;
  readonly #malformedEvery: number;
  readonly #seedHex: string;
  /** The last `meta.dt` made, by timestamp: consecutive entries often share their millisecond. */
  #dt = { timestamp: Number.NaN, text: '' };

  constructor(options: EventLogOptions) {
    if (options.lines.length === 0) throw new Error('the event log needs at least one line');
    this.#lines = options.lines;
    this.#templates = options.lines.map(toTemplate);
    this.#verbatim = options.verbatimFirstPass ?? false;
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
    this.startMs = options.startMs ?? Date.now();
    this.stepMs = options.stepMs ?? 0.5;
    this.#duplicateEvery = options.duplicateEvery ?? 0;
    this.#canaryEvery = options.canaryEvery ?? 0;
    this.#malformedEvery = options.malformedEvery ?? 0;
    this.#seedHex = ((options.seed ?? Math.floor(Math.random() * 0xffffffff)) >>> 0)
      .toString(16)
      .padStart(8, '0');
  }

  timestampAt(index: number): number {
    return this.startMs + Math.floor(index * this.stepMs);
  }

  /** The first index whose timestamp is at or after `ms`: where a timestamp resume starts. */
  indexAtOrAfter(ms: number): number {
    if (ms <= this.startMs) return 0;
    let index = Math.max(0, Math.floor((ms - this.startMs) / this.stepMs) - 2);
    while (this.timestampAt(index) < ms) index += 1;
    return index;
  }

  /** Entry `index`, or undefined past the limit. */
  entryAt(index: number): LogEntry | undefined {
    if (index < 0 || index >= this.limit) return undefined;
    const timestamp = this.timestampAt(index);
    const kind = this.#kindAt(index);
    if (kind === 'canary') {
      const metaId = this.#freshId(index);
      return { index, kind, timestamp, metaId, data: canary(metaId, timestamp) };
    }
    if (kind === 'malformed') {
      const variant = MALFORMED_KINDS[Math.floor((index + 1) / this.#malformedEvery) % 3]!;
      const metaId = variant === 'missing_id' ? undefined : this.#freshId(index);
      return { index, kind, timestamp, metaId, data: malformed(variant, metaId) };
    }
    if (kind === 'duplicate') {
      const previous = this.#lastRealBefore(index);
      if (previous) return { ...previous, index, kind, timestamp };
    }
    return this.#event(index, timestamp);
  }

  /**
   * Writes entry `index`'s `data:` payload as UTF-8 into `out` from `at` and returns where it
   * ends, or -1 when it does not fit. The bytes are those of `entryAt(index).data`; for the
   * common entry (an event with fresh ids) they are copied from the template's bytes instead
   * of building and encoding a string, which keeps a benchmark's server cheaper than the client.
   * `index` must be below the limit.
   */
  writeData(index: number, out: Buffer, at: number): number {
    const template = this.#kindAt(index) === 'event' ? this.#freshTemplate(index) : undefined;
    if (!template?.bytes) {
      const data = this.entryAt(index)!.data;
      if (at + Buffer.byteLength(data) > out.length) return -1;
      return at + out.write(data, at);
    }
    const [a, b, c] = template.bytes;
    const id = this.#freshId(index);
    const dt = this.#dtAt(this.timestampAt(index));
    if (at + a.length + b.length + c.length + id.length + dt.length > out.length) return -1;
    const [first, second] = template.idFirst ? [id, dt] : [dt, id];
    let end = at + a.copy(out, at);
    end += out.write(first, end, 'latin1');
    end += b.copy(out, end);
    end += out.write(second, end, 'latin1');
    return end + c.copy(out, end);
  }

  /** What entry `index` is; a `duplicate` with no real event before it is played as an event. */
  #kindAt(index: number): EntryKind {
    const slot = index + 1;
    if (this.#canaryEvery > 0 && slot % this.#canaryEvery === 0) return 'canary';
    if (this.#malformedEvery > 0 && slot % this.#malformedEvery === 0) return 'malformed';
    if (this.#duplicateEvery > 0 && slot % this.#duplicateEvery === 0 && index > 0) {
      return 'duplicate';
    }
    return 'event';
  }

  /** The template event `index` is made from, unless it is played verbatim. */
  #freshTemplate(index: number): Template | undefined {
    if (this.#verbatim && index < this.#lines.length) return undefined;
    return this.#templates[index % this.#lines.length];
  }

  #lastRealBefore(index: number): LogEntry | undefined {
    for (let i = index - 1; i >= 0; i -= 1) {
      const entry = this.entryAt(i);
      if (entry?.kind === 'event') return entry;
    }
    return undefined;
  }

  #event(index: number, timestamp: number): LogEntry {
    const template = this.#freshTemplate(index);
    if (!template) {
      const data = this.#lines[index]!;
      return { index, kind: 'event', timestamp, data, metaId: metaIdOf(data) };
    }
    if (!template.parts) {
      const data = this.#lines[index % this.#lines.length]!;
      return { index, kind: 'event', timestamp, data, metaId: undefined };
    }
    const metaId = this.#freshId(index);
    const dt = this.#dtAt(timestamp);
    const [a, b, c] = template.parts;
    const data = template.idFirst ? a + metaId + b + dt + c : a + dt + b + metaId + c;
    return { index, kind: 'event', timestamp, data, metaId };
  }

  #dtAt(timestamp: number): string {
    if (this.#dt.timestamp !== timestamp)
      this.#dt = { timestamp, text: new Date(timestamp).toISOString() };
    return this.#dt.text;
  }

  /** A UUID-shaped id unique per (seed, index), so a replay repeats the same id. */
  #freshId(index: number): string {
    const hex = index.toString(16).padStart(16, '0');
    return `${this.#seedHex}-${hex.slice(0, 4)}-4${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${hex.slice(10, 16)}000000`;
  }
}

function toTemplate(line: string): Template {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { parts: null, bytes: null, idFirst: true };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { parts: null, bytes: null, idFirst: true };
  }
  const event = value as Record<string, unknown>;
  const meta = (event['meta'] ?? {}) as Record<string, unknown>;
  const text = JSON.stringify({ ...event, meta: { ...meta, id: ID_MARK, dt: DT_MARK } });
  const idAt = text.indexOf(JSON.stringify(ID_MARK));
  const dtAt = text.indexOf(JSON.stringify(DT_MARK));
  const idMark = JSON.stringify(ID_MARK);
  const dtMark = JSON.stringify(DT_MARK);
  // Keep the quotes around the values: only the characters inside them change.
  const idFirst = idAt < dtAt;
  const [a, rest] = splitOnce(text, idFirst ? idMark : dtMark);
  const [b, c] = splitOnce(rest, idFirst ? dtMark : idMark);
  const parts = [`${a}"`, `"${b}"`, `"${c}`] as const;
  const bytes = [Buffer.from(parts[0]), Buffer.from(parts[1]), Buffer.from(parts[2])] as const;
  return { parts, bytes, idFirst };
}

function splitOnce(text: string, mark: string): [string, string] {
  const at = text.indexOf(mark);
  return [text.slice(0, at), text.slice(at + mark.length)];
}

function metaIdOf(data: string): string | undefined {
  try {
    const value = JSON.parse(data) as { meta?: { id?: unknown } } | null;
    const id = value?.meta?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function canary(metaId: string, timestamp: number): string {
  return JSON.stringify({
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      uri: 'https://canary/wiki/Special:Canary',
      id: metaId,
      dt: new Date(timestamp).toISOString(),
      domain: 'canary',
      stream: 'mediawiki.recentchange',
    },
    type: 'edit',
    title: 'Special:Canary',
    wiki: 'canarywiki',
    server_name: 'canary',
  });
}

function malformed(kind: (typeof MALFORMED_KINDS)[number], metaId: string | undefined): string {
  switch (kind) {
    case 'invalid_json':
      return `{"$schema":"/mediawiki/recentchange/1.0.0","meta":{"id":"${metaId ?? ''}",`;
    case 'schema':
      return JSON.stringify({
        $schema: '/mediawiki/recentchange/1.0.0',
        meta: { id: metaId, dt: 'not a date', stream: 'mediawiki.recentchange' },
        type: 'edit',
        namespace: 'Talk',
      });
    case 'missing_id':
      return JSON.stringify({
        $schema: '/mediawiki/recentchange/1.0.0',
        meta: { dt: '2026-01-01T00:00:00Z', stream: 'mediawiki.recentchange' },
        type: 'edit',
        wiki: 'enwiki',
      });
  }
}
