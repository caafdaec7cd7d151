import type { OutgoingMessage } from '@wikipulse/kafka';

/** A point in the stream whose events, and all before them, are in the output. */
export interface AckedMark {
  position: string;
  /** When the event at `position` was received, epoch ms. */
  receivedAt: number;
  /** The deduplication window's `added` count at that point. */
  dedupMark: number;
}

export interface BatchWriter {
  write(events: readonly OutgoingMessage[], dead: readonly OutgoingMessage[]): Promise<void>;
}

export interface BatcherOptions {
  writer: BatchWriter;
  maxEvents: number;
  maxBytes: number;
  lingerMs: number;
  maxInFlight: number;
  /** A batch and all before it were acknowledged. */
  onAcked?(
    mark: AckedMark | undefined,
    batch: { events: number; dead: number; latencyMs: number },
  ): void;
  /** A write failed after the client's own retries: the stream position must not move on. */
  onError(error: unknown): void;
  now?: () => number;
}

interface Batch {
  events: OutgoingMessage[];
  dead: OutgoingMessage[];
  /** Counts kept once the messages are handed to the writer. */
  eventCount: number;
  deadCount: number;
  bytes: number;
  mark: AckedMark | undefined;
  done: boolean;
}

/**
 * Accumulates messages into batches (up to a count, a byte size or a linger time) and keeps
 * several in flight; the stream position advances only when a batch and every batch before it
 * are acknowledged, whatever order the acknowledgements arrive in.
 */
export class Batcher {
  readonly #options: BatcherOptions;
  readonly #now: () => number;
  readonly #inFlight: Batch[] = [];
  #current: Batch = emptyBatch();
  #linger: NodeJS.Timeout | undefined;
  #acked: AckedMark | undefined;
  #waiters: (() => void)[] = [];
  #failed = false;

  constructor(options: BatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get acked(): AckedMark | undefined {
    return this.#acked;
  }

  get inFlight(): number {
    return this.#inFlight.length;
  }

  add(message: OutgoingMessage, bytes: number): void {
    if (this.#failed) return;
    this.#current.events.push(message);
    this.#current.bytes += bytes;
    this.#afterAdd();
  }

  addDeadLetter(message: OutgoingMessage, bytes: number): void {
    if (this.#failed) return;
    this.#current.dead.push(message);
    this.#current.bytes += bytes;
    this.#afterAdd();
  }

  /** Every message before this point has been added: the batch may carry the position. */
  mark(mark: AckedMark): void {
    if (this.#failed) return;
    this.#current.mark = mark;
    this.#armLinger();
  }

  /**
   * Undefined while there is room for another batch; otherwise resolves when there is. After a
   * failed write nothing waits: what is added then is dropped, as the process restarts from the
   * last acknowledged position.
   */
  writable(): Promise<void> | undefined {
    if (this.#failed || this.#inFlight.length < this.#options.maxInFlight) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  flush(): void {
    if (this.#linger) {
      clearTimeout(this.#linger);
      this.#linger = undefined;
    }
    const batch = this.#current;
    if (this.#failed) return;
    if (batch.events.length === 0 && batch.dead.length === 0 && batch.mark === undefined) return;
    this.#current = emptyBatch();
    this.#inFlight.push(batch);
    const started = this.#now();
    batch.eventCount = batch.events.length;
    batch.deadCount = batch.dead.length;
    const written =
      batch.eventCount === 0 && batch.deadCount === 0
        ? Promise.resolve()
        : this.#options.writer.write(batch.events, batch.dead);
    // The writer has what it needs: the messages (the events' text) can be collected as soon
    // as it has encoded them, instead of surviving a round trip and being promoted to the old
    // generation at tens of thousands of events a second.
    batch.events = [];
    batch.dead = [];
    written.then(
      () => {
        batch.done = true;
        this.#settle(batch, this.#now() - started);
      },
      (error: unknown) => {
        if (this.#failed) return;
        this.#failed = true;
        this.#current = emptyBatch();
        this.#wake();
        this.#options.onError(error);
      },
    );
  }

  /** Flushes and waits until everything added so far is acknowledged. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.length > 0 && !this.#failed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #afterAdd(): void {
    const { maxEvents, maxBytes } = this.#options;
    const size = this.#current.events.length + this.#current.dead.length;
    if (size >= maxEvents || this.#current.bytes >= maxBytes) this.flush();
    else this.#armLinger();
  }

  #armLinger(): void {
    if (this.#linger) return;
    this.#linger = setTimeout(() => {
      this.#linger = undefined;
      this.flush();
    }, this.#options.lingerMs);
  }

  #settle(batch: Batch, latencyMs: number): void {
    while (this.#inFlight[0]?.done) {
      const head = this.#inFlight.shift()!;
      if (head.mark) this.#acked = head.mark;
    }
    this.#options.onAcked?.(this.#acked, {
      events: batch.eventCount,
      dead: batch.deadCount,
      latencyMs,
    });
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function emptyBatch(): Batch {
  return {
    events: [],
    dead: [],
    eventCount: 0,
    deadCount: 0,
    bytes: 0,
    mark: undefined,
    done: false,
  };
}
