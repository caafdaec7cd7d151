import {
  EventSource,
  type ErrorEvent,
  type EventSourceFetchInit,
  type FetchLikeResponse,
} from 'eventsource';
import { Backoff, systemClock, type Clock } from '@wikipulse/lifecycle';
import { retryAfterMs } from './retry-after.js';
import { withSince } from './position.js';

/** Largest piece of the body handed to the SSE parser at once (see `pieces`). */
const PIECE_BYTES = 16 * 1024;

/** The log lines the stream writes: a Logger, or what forwards them to one on another thread. */
export interface StreamLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export type ReconnectReason = 'closed' | 'error' | 'stall' | 'http_429' | 'http_error';

export interface StreamClientOptions {
  url: string;
  userAgent: string;
  /** Where to resume: an SSE id from a checkpoint. */
  position?: string | undefined;
  /** Start time for a backfill (`?since=`), used until the first event gives a position. */
  since?: string | undefined;
  stallTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  log: StreamLog;
  /** The stream connected (true) or lost its connection (false). */
  onConnected?(connected: boolean): void;
  /** One SSE message: its data and the stream position after it. */
  onMessage(data: string, id: string): void;
  onBytes?(count: number): void;
  onReconnect?(reason: ReconnectReason, delayMs: number): void;
  /**
   * Resolves when the consumer can take more events. The body is read only after it resolves,
   * so a slow sink pushes back on the TCP connection instead of piling events up in memory.
   */
  writable?(): Promise<void> | undefined;
  random?: () => number;
  /** What a `Retry-After` date is counted down from; the system clock by default. */
  clock?: Clock;
}

interface Attempt {
  source: EventSource;
  status: number | undefined;
  retryAfter: string | null;
  received: number;
  lastActivity: number;
  gated: boolean;
  controller: AbortController;
}

/**
 * Reads the SSE stream with `eventsource` and owns reconnecting. eventsource v4 resends
 * `Last-Event-ID` on its own reconnects, but only for ids it saw itself, knows nothing of
 * `Retry-After`, stalls or backoff, and gives up for good on any non-200 answer. So every
 * connection is one EventSource that is closed on its first error, and this class opens the
 * next one after the right delay; its custom `fetch` sends the User-Agent and the position
 * (Last-Event-ID) on every request including the first, and watches the body for stalls.
 */
export class StreamClient {
  readonly #options: StreamClientOptions;
  readonly #backoff: Backoff;
  #position: string | undefined;
  #attempt: Attempt | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #connected = false;

  constructor(options: StreamClientOptions) {
    this.#options = options;
    this.#position = options.position;
    this.#backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs, options.random);
  }

  /** The id of the last message seen: where a reconnect resumes. */
  get position(): string | undefined {
    return this.#position;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
    const every = Math.max(50, Math.floor(this.#options.stallTimeoutMs / 4));
    this.#stallTimer = setInterval(() => this.#checkStall(), every);
    this.#stallTimer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#setConnected(false);
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#stallTimer) clearInterval(this.#stallTimer);
    this.#closeAttempt();
  }

  #connect(): void {
    if (this.#stopped) return;
    const controller = new AbortController();
    const attempt: Attempt = {
      source: undefined as unknown as EventSource,
      status: undefined,
      retryAfter: null,
      received: 0,
      lastActivity: Date.now(),
      gated: false,
      controller,
    };
    const target =
      this.#position === undefined && this.#options.since !== undefined
        ? withSince(this.#options.url, this.#options.since)
        : this.#options.url;
    const source = new EventSource(target, {
      fetch: (input, init) => this.#fetch(attempt, input, init),
    });
    attempt.source = source;
    this.#attempt = attempt;
    source.onopen = () => {
      if (this.#attempt !== attempt) return;
      this.#setConnected(true);
      this.#options.log.info({ position: this.#position ?? null }, 'stream connected');
    };
    source.onmessage = (event) => {
      if (this.#attempt !== attempt) return;
      attempt.received += 1;
      // An event without an id line keeps the previous position, as the SSE spec says.
      if (event.lastEventId !== '') this.#position = event.lastEventId;
      this.#options.onMessage(event.data as string, this.#position ?? '');
    };
    source.onerror = (event) => {
      if (this.#attempt !== attempt) return;
      this.#onError(attempt, event);
    };
  }

  async #fetch(
    attempt: Attempt,
    input: string | URL,
    init: EventSourceFetchInit,
  ): Promise<FetchLikeResponse> {
    const headers: Record<string, string> = {
      ...init.headers,
      'User-Agent': this.#options.userAgent,
    };
    if (this.#position !== undefined) headers['Last-Event-ID'] = this.#position;
    const signal = AbortSignal.any([init.signal as AbortSignal, attempt.controller.signal]);
    const request: RequestInit = { ...init, headers, signal };
    const response = await fetch(input, request);
    attempt.status = response.status;
    attempt.retryAfter = response.headers.get('retry-after');
    attempt.lastActivity = Date.now();
    if (response.status !== 200 || !response.body) return response;
    const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
    const options = this.#options;
    /** The bytes after the chunk's last complete event, held until the next chunk. */
    let carry: Buffer | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const wait = options.writable?.();
          if (wait) {
            attempt.gated = true;
            await wait;
            attempt.gated = false;
          }
          // Reads until a complete piece can be handed on: a pull that enqueues nothing is
          // not called again.
          for (;;) {
            const chunk = await reader.read();
            attempt.lastActivity = Date.now();
            if (chunk.done) {
              if (carry) controller.enqueue(carry);
              carry = undefined;
              controller.close();
              return;
            }
            options.onBytes?.(chunk.value.byteLength);
            let bytes = toBuffer(chunk.value);
            /** Enqueues the complete pieces of `buffer`, keeps the rest; true if it enqueued. */
            const handOn = (buffer: Buffer): boolean => {
              let enqueued = false;
              for (const piece of pieces(buffer)) {
                if (!piece.complete) carry = piece.bytes;
                else {
                  controller.enqueue(piece.bytes);
                  enqueued = true;
                }
              }
              return enqueued;
            };
            let handedOn = false;
            if (carry) {
              // Only the event cut off at the end of the last chunk is copied, up to its end;
              // the rest of this chunk is handed on as views.
              const end = endOfFirstEvent(carry, bytes);
              const head = Buffer.concat([carry, end < 0 ? bytes : bytes.subarray(0, end)]);
              carry = undefined;
              bytes = end < 0 ? bytes.subarray(bytes.length) : bytes.subarray(end);
              handedOn = handOn(head);
            }
            if (handOn(bytes)) handedOn = true;
            if (handedOn) return;
          }
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return {
      body,
      status: response.status,
      headers: response.headers,
      redirected: response.redirected,
      url: response.url,
    };
  }

  #onError(attempt: Attempt, event: ErrorEvent): void {
    let reason: ReconnectReason;
    let delay: number;
    if (event.code === 429) {
      reason = 'http_429';
      const now = (this.#options.clock ?? systemClock)().getTime();
      delay = retryAfterMs(attempt.retryAfter, now) ?? this.#backoff.next();
    } else if (event.code !== undefined) {
      reason = 'http_error';
      delay = this.#backoff.next();
    } else {
      reason = event.message === undefined ? 'closed' : 'error';
      // A connection that delivered events was healthy: its close is routine (the service
      // ends every connection after about 15 minutes), so the backoff starts over.
      if (attempt.received > 0) this.#backoff.reset();
      delay = this.#backoff.next();
    }
    this.#options.log.warn(
      {
        reason,
        status: event.code,
        message: event.message,
        delayMs: delay,
        events: attempt.received,
      },
      'stream disconnected, reconnecting',
    );
    this.#reconnect(reason, delay);
  }

  #checkStall(): void {
    const attempt = this.#attempt;
    if (!attempt || attempt.gated || this.#timer !== undefined) return;
    if (Date.now() - attempt.lastActivity < this.#options.stallTimeoutMs) return;
    if (attempt.received > 0) this.#backoff.reset();
    const delay = this.#backoff.next();
    this.#options.log.warn(
      { stallTimeoutMs: this.#options.stallTimeoutMs, delayMs: delay },
      'stream stalled, reconnecting',
    );
    this.#reconnect('stall', delay);
  }

  #reconnect(reason: ReconnectReason, delay: number): void {
    this.#closeAttempt();
    this.#setConnected(false);
    if (this.#stopped) return;
    this.#options.onReconnect?.(reason, delay);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect();
    }, delay);
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#options.onConnected?.(connected);
  }

  #closeAttempt(): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#attempt = undefined;
    attempt.source.close();
    attempt.controller.abort();
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Cuts the body into pieces of at most `PIECE_BYTES` that end where an event ends (a blank
 * line), plus the incomplete rest (`complete: false`) for the next chunk to continue. Each
 * piece becomes one string in the SSE parser, and every event read from it is a view into
 * that string. Ending pieces on event boundaries leaves the parser holding no unfinished text
 * between reads, so a piece's string dies with its events, young, even when reading waits for
 * Kafka; and a string of more than 64k characters would be a "large object" to V8, promoted
 * to the old generation by the first young-generation collection that finds it alive. Pieces
 * are views, not copies. An event larger than a piece is handed on in parts.
 */
export function* pieces(bytes: Buffer): Generator<{ bytes: Buffer; complete: boolean }> {
  let start = 0;
  while (start < bytes.length) {
    const limit = Math.min(start + PIECE_BYTES, bytes.length);
    const boundary = limit - start >= 2 ? bytes.lastIndexOf(EVENT_END, limit - 2) : -1;
    if (boundary >= start) {
      yield { bytes: bytes.subarray(start, boundary + 2), complete: true };
      start = boundary + 2;
    } else if (limit < bytes.length) {
      yield { bytes: bytes.subarray(start, limit), complete: true };
      start = limit;
    } else {
      yield { bytes: bytes.subarray(start), complete: false };
      return;
    }
  }
}

const EVENT_END = Buffer.from('\n\n');
const LF = 0x0a;

/**
 * Where the first event ending in `bytes` ends (after its blank line), counting the case of
 * `carry` ending with the first of the two newlines; -1 when no event ends in `bytes`.
 */
export function endOfFirstEvent(carry: Buffer, bytes: Buffer): number {
  if (carry[carry.length - 1] === LF && bytes[0] === LF) return 1;
  const at = bytes.indexOf(EVENT_END);
  return at < 0 ? -1 : at + 2;
}
