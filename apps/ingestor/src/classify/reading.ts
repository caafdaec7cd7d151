import { createFilter } from '../filters.js';
import {
  StreamClient,
  type ReconnectReason,
  type StreamClientOptions,
  type StreamLog,
} from '../stream.js';
import { judgeBatch, type Judgement, type JudgeRules } from './judge.js';
import type { ClassifierRules } from './rules.js';

/** The stream to read, as the reading thread receives it: the stream client's plain settings. */
export type StreamSettings = Pick<
  StreamClientOptions,
  | 'url'
  | 'userAgent'
  | 'position'
  | 'since'
  | 'stallTimeoutMs'
  | 'reconnectMinMs'
  | 'reconnectMaxMs'
>;

export interface ReadingSettings {
  stream: StreamSettings;
  rules: ClassifierRules;
  /** Events per batch (a batch also goes at the end of the current turn of the event loop). */
  batchEvents: number;
  /** Events handed on but not yet applied above which reading waits. */
  maxPending: number;
}

/** What the reading thread tells the thread that applies the verdicts, in this order. */
export type FromReading =
  | {
      kind: 'batch';
      judgement: Judgement;
      /** The position after the batch's last event. */
      position: string;
      /** Bytes read from the network since the previous batch. */
      bytes: number;
    }
  | { kind: 'log'; level: 'info' | 'warn'; fields: Record<string, unknown>; message: string }
  | { kind: 'connected'; connected: boolean }
  | { kind: 'reconnect'; reason: ReconnectReason }
  /** Reading stopped; every batch read went before this. */
  | { kind: 'stopped' };

/** What the applying thread tells the reading thread. */
export type ToReading =
  | { kind: 'start' }
  /** `count` events were applied and what follows has room for them: read on. */
  | { kind: 'applied'; count: number }
  | { kind: 'stop' };

export type Emit = (message: FromReading, transfer?: ArrayBuffer[]) => void;

/**
 * Reads the SSE stream, and parses, validates and filters its events in batches, on the thread
 * it runs on (a worker thread in production): the text of the stream never leaves that thread.
 * What leaves it, through `emit`, is per batch the verdicts and the kept events' UTF-8 bytes in
 * one buffer that moves without a copy. The stream waits (and with it the TCP connection) while
 * `maxPending` events are handed on but not yet applied, so memory stays bounded whatever the
 * speed of what follows.
 */
export class Reading {
  readonly #settings: ReadingSettings;
  readonly #emit: Emit;
  readonly #rules: JudgeRules;
  readonly #stream: StreamClient;
  #data: string[] = [];
  #ids: string[] = [];
  #bytes = 0;
  #scheduled = false;
  #pending = 0;
  #roomWaiters: (() => void)[] = [];

  constructor(settings: ReadingSettings, emit: Emit) {
    this.#settings = settings;
    this.#emit = emit;
    this.#rules = {
      filter: createFilter(settings.rules),
      maxEventBytes: settings.rules.maxEventBytes,
    };
    this.#stream = new StreamClient({
      ...settings.stream,
      log: forwardingLog(emit),
      onConnected: (connected) => emit({ kind: 'connected', connected }),
      onMessage: (data, id) => this.#submit(data, id),
      onBytes: (count) => {
        this.#bytes += count;
      },
      onReconnect: (reason) => emit({ kind: 'reconnect', reason }),
      writable: () => this.#writable(),
    });
  }

  receive(message: ToReading): void {
    if (message.kind === 'start') this.#stream.start();
    else if (message.kind === 'applied') {
      this.#pending -= message.count;
      if (this.#pending < this.#settings.maxPending) wake(this.#roomWaiters);
    } else {
      this.#stream.stop();
      this.#send();
      this.#emit({ kind: 'stopped' });
    }
  }

  #writable(): Promise<void> | undefined {
    if (this.#pending + this.#data.length < this.#settings.maxPending) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #submit(data: string, id: string): void {
    this.#data.push(data);
    this.#ids.push(id);
    if (this.#data.length >= this.#settings.batchEvents) this.#send();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#send();
      });
    }
  }

  #send(): void {
    const data = this.#data;
    const count = data.length;
    if (count === 0) return;
    const ids = this.#ids;
    this.#data = [];
    this.#ids = [];
    this.#pending += count;
    const judgement = judgeBatch({ data, positions: ids.join('\n') }, this.#rules);
    const bytes = this.#bytes;
    this.#bytes = 0;
    this.#emit(
      {
        kind: 'batch',
        judgement,
        position: ownCopy(ids[count - 1]!),
        bytes,
      },
      [judgement.bytes, judgement.ends.buffer as ArrayBuffer],
    );
  }
}

/** The stream's log lines, sent to the thread that owns the logger. */
function forwardingLog(emit: Emit): StreamLog {
  const line =
    (level: 'info' | 'warn') =>
    (fields: Record<string, unknown>, message: string): void =>
      emit({ kind: 'log', level, fields, message });
  return { info: line('info'), warn: line('warn') };
}

/**
 * A string of its own rather than a view into the network text it was read from, which it
 * would otherwise keep alive until its batch is acknowledged (when verdicts are applied on this
 * same thread): concatenating makes V8 flatten a new string, and the slice is a view into that
 * small copy only.
 */
function ownCopy(text: string): string {
  return `${text} `.slice(0, -1);
}

function wake(waiters: (() => void)[]): void {
  const all = waiters.splice(0);
  for (const resolve of all) resolve();
}
