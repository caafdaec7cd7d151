import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventLog, type EventLogOptions, type LogEntry } from './log.js';

/**
 * A local Wikimedia EventStreams `recentchange` endpoint speaking the service's exact wire
 * format: a `:ok` comment first, then `event: message`, `id: <JSON array of per-partition
 * positions>`, `data: <event JSON>` and a blank line per event. It resumes from `Last-Event-ID`
 * or `?since=` the way Wikimedia does (a timestamp resume replays every event at or after that
 * time, so the client sees some events again) and can misbehave on demand: close connections,
 * stall, answer 429, inject duplicates, canaries and malformed events.
 */

export interface EventStreamsServerOptions extends Omit<EventLogOptions, 'lines'> {
  /** Events as JSON text; or give `file` (JSONL). */
  lines?: readonly string[];
  /** Events per second per connection; as fast as the socket takes them when absent. */
  rate?: number;
  /** Close each connection after this many events (as the real service does after ~15 min). */
  closeEveryEvents?: number;
  /** Close each connection after this many seconds. */
  closeEverySeconds?: number;
  /** Keep every sent entry in `sent` (tests); counters are always kept. */
  record?: boolean;
  /** Port to bind on 127.0.0.1; any free one when absent. */
  port?: number;
  /** The path the stream is served on. */
  path?: string;
}

export interface SentEntry extends LogEntry {
  /** The SSE id line's value. */
  id: string;
  connection: number;
  /** Epoch ms when the entry's chunk was handed to the socket: when it left the server. */
  sentAt: number;
}

export interface ServerCounters {
  connections: number;
  /** Requests answered 429. */
  rejected: number;
  /** Events written, counting replays. */
  events: number;
  bytes: number;
  closedByServer: number;
  stalls: number;
}

interface Connection {
  number: number;
  res: ServerResponse;
  stalled: boolean;
  closed: boolean;
}

/** Bytes of one write of events; a larger event goes out alone. */
const CHUNK_BYTES = 128 * 1024;

const TOPICS = ['eqiad.mediawiki.recentchange', 'codfw.mediawiki.recentchange'] as const;

/** The SSE id Wikimedia sends: one entry per topic-partition, timestamps for the active DC. */
export function sseId(timestamp: number): string {
  return `[{"topic":"${TOPICS[0]}","partition":0,"timestamp":${timestamp}},{"topic":"${TOPICS[1]}","partition":0,"offset":-1}]`;
}

/** The resume time in a Last-Event-ID: the first partition entry that carries a timestamp. */
export function timestampOfId(id: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(id);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  for (const entry of parsed as unknown[]) {
    const ts = (entry as { timestamp?: unknown } | null)?.timestamp;
    if (typeof ts === 'number' && Number.isFinite(ts)) return ts;
  }
  return undefined;
}

/** `?since=` accepts epoch milliseconds or an ISO-8601 date, as Wikimedia's does. */
export function parseSince(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export class EventStreamsServer {
  readonly log: EventLog;
  readonly sent: SentEntry[] = [];
  readonly counters: ServerCounters = {
    connections: 0,
    rejected: 0,
    events: 0,
    bytes: 0,
    closedByServer: 0,
    stalls: 0,
  };
  /** Last-Event-ID and since of each request, in order. */
  readonly requests: { lastEventId: string | undefined; since: string | undefined }[] = [];
  readonly #options: EventStreamsServerOptions;
  readonly #server: Server;
  readonly #open = new Set<Connection>();
  #lastHeader: { timestamp: number; id: string; text: string } | undefined;
  #rejectNext = 0;
  #retryAfterSeconds = 1;
  #stallNext = false;
  #port = 0;

  private constructor(options: EventStreamsServerOptions, lines: readonly string[]) {
    this.#options = options;
    this.log = new EventLog({ ...options, lines });
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(
    options: EventStreamsServerOptions & { file?: string } = {},
  ): Promise<EventStreamsServer> {
    const lines = options.lines ?? (options.file ? await readLines(options.file) : undefined);
    if (!lines) throw new Error('give the server `lines` or a `file`');
    const server = new EventStreamsServer(options, lines);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}${this.#options.path ?? '/v2/stream/recentchange'}`;
  }

  get openConnections(): number {
    return this.#open.size;
  }

  /** Closes every open connection now, as a network failure or the 15-minute limit would. */
  dropConnections(): void {
    for (const connection of this.#open) this.#close(connection, true);
  }

  /** Answers the next `count` requests with 429 and `Retry-After`; drops open connections too. */
  rejectNext(count: number, retryAfterSeconds: number): void {
    this.#rejectNext = count;
    this.#retryAfterSeconds = retryAfterSeconds;
    this.dropConnections();
  }

  /** The open connections stop sending (keeping the socket open); new ones behave. */
  stall(): void {
    for (const connection of this.#open) {
      if (!connection.stalled) this.counters.stalls += 1;
      connection.stalled = true;
    }
    if (this.#open.size === 0) this.#stallNext = true;
  }

  /** Resolves once at least `count` events were written in total. */
  async waitForEvents(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.counters.events < count) {
      if (Date.now() > deadline) {
        throw new Error(`only ${this.counters.events} of ${count} events sent in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== (this.#options.path ?? '/v2/stream/recentchange')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const header = req.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    const since = url.searchParams.get('since') ?? undefined;
    this.requests.push({ lastEventId, since });
    if (this.#rejectNext > 0) {
      this.#rejectNext -= 1;
      this.counters.rejected += 1;
      res
        .writeHead(429, {
          'content-type': 'text/plain',
          'retry-after': String(this.#retryAfterSeconds),
        })
        .end('Too many concurrent connections from your IP\n');
      return;
    }
    let start = 0;
    if (lastEventId) {
      const ts = timestampOfId(lastEventId);
      if (ts === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid Last-Event-ID\n');
        return;
      }
      start = this.log.indexAtOrAfter(ts);
    } else if (since !== undefined) {
      const ms = parseSince(since);
      if (ms === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid since\n');
        return;
      }
      start = this.log.indexAtOrAfter(ms);
    }
    this.counters.connections += 1;
    const connection: Connection = {
      number: this.counters.connections,
      res,
      stalled: this.#stallNext,
      closed: false,
    };
    if (this.#stallNext) {
      this.#stallNext = false;
      this.counters.stalls += 1;
    }
    this.#open.add(connection);
    res.on('close', () => {
      connection.closed = true;
      this.#open.delete(connection);
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
    });
    res.write(':ok\n\n');
    void this.#play(connection, start);
  }

  /** An event's first two lines, by timestamp: consecutive events often share their millisecond. */
  #header(timestamp: number): { timestamp: number; id: string; text: string } {
    if (this.#lastHeader?.timestamp !== timestamp) {
      const id = sseId(timestamp);
      this.#lastHeader = { timestamp, id, text: `event: message\nid: ${id}\ndata: ` };
    }
    return this.#lastHeader;
  }

  async #play(connection: Connection, start: number): Promise<void> {
    const { rate, closeEveryEvents, closeEverySeconds } = this.#options;
    const opened = Date.now();
    let index = start;
    let sentHere = 0;
    // Events go out in chunks: one write per chunk keeps the server cheap enough to outrun
    // the client in benchmarks.
    const chunkLimit = rate === undefined ? 64 : Math.max(1, Math.ceil(rate / 100));
    while (!connection.closed) {
      if (closeEverySeconds !== undefined && Date.now() - opened >= closeEverySeconds * 1000) {
        this.#close(connection);
        return;
      }
      if (connection.stalled) {
        await sleep(20);
        continue;
      }
      let allowed = chunkLimit;
      if (rate !== undefined) {
        const due = Math.floor(((Date.now() - opened) / 1000) * rate) - sentHere;
        allowed = Math.min(chunkLimit, due);
        if (allowed <= 0) {
          await sleep(5);
          continue;
        }
      }
      const sentAt = Date.now();
      let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let end = 0;
      let count = 0;
      while (count < allowed) {
        if (closeEveryEvents !== undefined && sentHere + count >= closeEveryEvents) break;
        if (index >= this.log.limit) break;
        const timestamp = this.log.timestampAt(index);
        const header = this.#header(timestamp);
        const written = chunk.write(header.text, end, 'latin1');
        const at =
          written === header.text.length ? this.log.writeData(index, chunk, end + written) : -1;
        if (at < 0 || at + 2 > chunk.length) {
          // The chunk is full: send what it holds, or make room for one very large event.
          if (count > 0) break;
          const entry = this.log.entryAt(index)!;
          chunk = Buffer.from(`${header.text}${entry.data}\n\n`);
          end = chunk.length;
        } else {
          end = at + chunk.write('\n\n', at, 'latin1');
        }
        if (this.#options.record) {
          const entry = this.log.entryAt(index)!;
          this.sent.push({ ...entry, id: header.id, connection: connection.number, sentAt });
        }
        index += 1;
        count += 1;
      }
      if (count > 0) {
        sentHere += count;
        this.counters.events += count;
        this.counters.bytes += end;
        if (!connection.res.write(chunk.subarray(0, end))) await drained(connection.res);
      }
      if (closeEveryEvents !== undefined && sentHere >= closeEveryEvents) {
        this.#close(connection);
        return;
      }
      // The log is exhausted: keep the connection open and idle, as a quiet stream would be.
      if (count === 0) await sleep(20);
      else if (rate === undefined) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Ends the response cleanly, or cuts the socket as a network failure would. */
  #close(connection: Connection, abrupt = false): void {
    if (connection.closed) return;
    connection.closed = true;
    this.counters.closedByServer += 1;
    this.#open.delete(connection);
    if (abrupt) connection.res.socket?.destroy();
    else connection.res.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function readLines(file: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(file, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Starts a local EventStreams server; `stop()` it when done. */
export function startEventStreamsServer(
  options: EventStreamsServerOptions & { file?: string } = {},
): Promise<EventStreamsServer> {
  return EventStreamsServer.start(options);
}
