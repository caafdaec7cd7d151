/**
 * Reconnect delays. "Full jitter" exponential backoff (a random delay between 0 and
 * min(max, min·2^attempt)) spreads reconnecting clients apart, so a restarted service is not
 * hit by all of them in the same instant; a 429's `Retry-After` overrides it.
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

  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to the maximum. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.#random() * ceiling);
  }

  /** After a healthy connection the next reconnect starts from the minimum again. */
  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * A `Retry-After` header in milliseconds: delta-seconds or an HTTP date. Undefined when absent
 * or unreadable, so the caller falls back to its backoff.
 */
export function retryAfterMs(
  header: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
