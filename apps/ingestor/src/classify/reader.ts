import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ReconnectReason } from '../stream.js';
import type { FromReading, ReadingSettings, ToReading } from './reading.js';
import { readVerdicts, type VerdictHandler } from './verdicts.js';

export interface ReaderOptions {
  settings: ReadingSettings;
  /** The worker script; undefined reads and judges on the calling thread. */
  worker: URL | undefined;
  /** The worker's Node flags; the process's own by default. */
  execArgv?: string[];
  handler: VerdictHandler;
  log: Logger;
  /**
   * Room in what follows the verdicts (the batcher): undefined when there is, otherwise
   * resolves when there is. Reading waits for it, so memory stays bounded.
   */
  writable(): Promise<void> | undefined;
  /** Events read, judged and applied, and the bytes read for them. */
  onReceived(events: number, bytes: number): void;
  onReconnect(reason: ReconnectReason): void;
  /** Reading or judging failed (the worker died): the process must restart. */
  onError(error: unknown): void;
  /**
   * Stamps each batch's `receivedAt` as it reaches this thread (the checkpoint's time, the
   * Kafka timestamp of its dead letters, the lag); the system clock by default. The reading
   * thread cannot be handed a function, so the time is read here.
   */
  clock?: Clock;
}

/** A judged batch, stamped with when it reached this thread. */
type Batch = Extract<FromReading, { kind: 'batch' }> & { receivedAt: number };

const WORKER_FILE = new URL('./worker.js', import.meta.url);

/**
 * The compiled worker script next to this module, if there is one. Tests run the TypeScript
 * sources, which a worker thread cannot load; they read and judge on their own thread instead.
 */
export function builtWorker(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  return existsSync(fileURLToPath(WORKER_FILE)) ? WORKER_FILE : undefined;
}

/**
 * The classify stage as the ingestor's main thread sees it: the stream is read, parsed,
 * validated and filtered by `Reading` on a worker thread (or on this thread, without one), and
 * its verdicts come back here batch by batch, in stream order, to the handler. Only verdicts
 * and the kept events' bytes cross between threads: the stream's text, most of the ingestor's
 * allocations, lives and dies on the reading thread, and this thread's time goes to Kafka.
 * Without a worker the same `Reading` runs here, through the same messages.
 */
export class Reader {
  readonly #options: ReaderOptions;
  readonly #worker: Worker | undefined;
  #inline: Promise<(message: ToReading) => void> | undefined;
  #connected = false;
  #failed = false;
  #closing = false;
  #stopped: (() => void) | undefined;
  /** Reading said it stopped: once the queue is applied, so is everything read. */
  #stopping = false;
  /** Batches read, waiting for room in what follows. */
  readonly #queue: Batch[] = [];
  #waiting = false;

  constructor(options: ReaderOptions) {
    this.#options = options;
    if (options.worker === undefined) return;
    const worker = new Worker(options.worker, {
      workerData: options.settings,
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      // The worker's garbage is short-lived (the stream's text and the parsed events die within
      // their batch): a small young generation keeps its share of the RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 },
    });
    worker.on('message', (message: FromReading | Record<string, unknown>) => {
      // `node --watch` (Tilt's live update) has every worker thread report the modules it
      // loads to the parent as `watch:*` messages; they are not the reader's.
      if (!('kind' in message)) return;
      this.#onMessage(message as FromReading);
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(new Error(`the reading worker exited (code ${code})`));
    });
    this.#worker = worker;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Events read and judged, waiting for room in what follows. */
  get queued(): number {
    let events = 0;
    for (const batch of this.#queue) events += batch.judgement.ends.length;
    return events;
  }

  start(): void {
    this.#post({ kind: 'start' });
  }

  /**
   * Stops reading; resolves once the verdicts of everything read have been applied, or
   * reading failed.
   */
  stop(): Promise<void> {
    if (this.#failed) return Promise.resolve();
    const stopped = new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
    this.#post({ kind: 'stop' });
    return stopped;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker?.terminate();
  }

  #post(message: ToReading): void {
    if (this.#worker) {
      this.#worker.postMessage(message);
      return;
    }
    // The judge's schema validator (about 15 MB) is loaded only by the thread that judges.
    this.#inline ??= import('./reading.js').then(({ Reading }) => {
      const reading = new Reading(this.#options.settings, (answer) => this.#onMessage(answer));
      return (next: ToReading) => reading.receive(next);
    });
    this.#inline.then(
      (receive) => receive(message),
      (error: unknown) => this.#fail(error),
    );
  }

  #onMessage(message: FromReading): void {
    if (this.#failed) return;
    const options = this.#options;
    switch (message.kind) {
      case 'batch':
        this.#queue.push({ ...message, receivedAt: (options.clock ?? systemClock)().getTime() });
        this.#drain();
        return;
      case 'log':
        options.log[message.level](message.fields, message.message);
        return;
      case 'connected':
        this.#connected = message.connected;
        return;
      case 'reconnect':
        options.onReconnect(message.reason);
        return;
      case 'stopped':
        this.#connected = false;
        this.#stopping = true;
        this.#drain();
        return;
    }
  }

  /**
   * Applies the queued batches in order while what follows has room; a batch that finds none
   * waits here, as compact bytes, and reading stops once `maxPending` events wait.
   */
  #drain(): void {
    while (!this.#waiting && !this.#failed) {
      const batch = this.#queue[0];
      if (batch === undefined) {
        if (this.#stopping) this.#stopped?.();
        return;
      }
      const room = this.#options.writable();
      if (room !== undefined) {
        this.#waiting = true;
        void room.then(() => {
          this.#waiting = false;
          this.#drain();
        });
        return;
      }
      this.#queue.shift();
      this.#apply(batch);
    }
  }

  #apply({ judgement: { verdicts, bytes, ends }, position, receivedAt, bytes: read }: Batch): void {
    const options = this.#options;
    const count = ends.length;
    options.onReceived(count, read);
    const text = Buffer.from(bytes);
    const values: Buffer[] = [];
    let start = 0;
    for (const end of ends) {
      values.push(text.subarray(start, end));
      start = end;
    }
    try {
      readVerdicts(verdicts, values, count, receivedAt, options.handler);
      if (position !== '') options.handler.passed(position, receivedAt);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#post({ kind: 'applied', count });
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#connected = false;
    this.#stopped?.();
    this.#options.onError(error);
  }
}
