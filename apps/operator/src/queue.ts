export interface WorkQueueOptions {
  /** First retry delay after a failure; doubles per consecutive failure of the same key. */
  baseDelayMs: number;
  maxDelayMs: number;
  onError: (key: string, error: unknown, retryInMs: number) => void;
}

/**
 * A serialised work queue: one key is handled at a time, a key waiting in the queue is held
 * once however often it is added, and a failed key comes back after an exponential backoff.
 * Serialising makes the reconciler simple to reason about; a pipeline changes rarely.
 */
export class WorkQueue {
  readonly #handle: (key: string) => Promise<void>;
  readonly #options: WorkQueueOptions;
  readonly #queued = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(handle: (key: string) => Promise<void>, options: WorkQueueOptions) {
    this.#handle = handle;
    this.#options = options;
  }

  add(key: string): void {
    if (this.#closed) return;
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    this.#queued.add(key);
    this.#running ??= this.#drain();
  }

  get size(): number {
    return this.#queued.size + this.#timers.size;
  }

  /** Stops taking work and waits for the key in hand. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queued.clear();
    await this.#running;
  }

  async #drain(): Promise<void> {
    for (const key of this.#queued) {
      this.#queued.delete(key);
      try {
        await this.#handle(key);
        this.#failures.delete(key);
      } catch (error) {
        this.#retry(key, error);
      }
    }
    this.#running = undefined;
  }

  #retry(key: string, error: unknown): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = Math.min(
      this.#options.baseDelayMs * 2 ** (failures - 1),
      this.#options.maxDelayMs,
    );
    this.#options.onError(key, error, delay);
    if (this.#closed) return;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, delay),
    );
  }
}
