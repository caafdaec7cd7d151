import { setTimeout as wait } from 'node:timers/promises';

/**
 * Retry delays: exponential backoff with "full jitter" (a random delay between 0 and
 * min(max, min·2^attempt)), which spreads clients retrying against the same service apart so a
 * restarted broker or database is not hit by all of them in the same instant.
 */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
    this.#minMs = minMs;
    this.#maxMs = Math.max(minMs, maxMs);
    this.#random = random;
  }

  /** Delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to the maximum. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.#random() * ceiling);
  }

  /** After a success the next failure starts from the minimum again. */
  reset(): void {
    this.#attempt = 0;
  }
}

export interface SleepOptions {
  /** Ends the wait at once: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** False: the wait alone does not keep the process alive. */
  ref?: boolean;
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export async function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal, ref = true } = options;
  try {
    await wait(ms, undefined, { ref, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
