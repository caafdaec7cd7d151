/**
 * Per-user token buckets: `burst` commands at once, then one every `refillMs`. A limited user
 * is told once per empty bucket; further commands in that window are dropped silently, so a
 * flood does not turn into a flood of replies.
 */
export interface RateLimitOptions {
  burst: number;
  refillMs: number;
  /** Buckets kept; the oldest are forgotten beyond it (they would be full by then anyway). */
  maxUsers?: number;
}

export type RateDecision =
  { allowed: true } | { allowed: false; notify: boolean; retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
  notified: boolean;
}

export class RateLimiter {
  readonly #options: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    this.#options = { maxUsers: 100_000, ...options };
  }

  take(userId: string, nowMs: number): RateDecision {
    const { burst, refillMs, maxUsers } = this.#options;
    let bucket = this.#buckets.get(userId);
    if (bucket === undefined) {
      bucket = { tokens: burst, updatedAt: nowMs, notified: false };
    } else {
      this.#buckets.delete(userId);
      const refilled = Math.floor((nowMs - bucket.updatedAt) / refillMs);
      if (refilled > 0) {
        bucket.tokens = Math.min(burst, bucket.tokens + refilled);
        bucket.updatedAt = bucket.tokens === burst ? nowMs : bucket.updatedAt + refilled * refillMs;
        bucket.notified = false;
      }
    }
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.#buckets.set(userId, bucket);
    if (this.#buckets.size > maxUsers) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens > 0) {
      bucket.tokens -= 1;
      if (bucket.tokens === burst - 1) bucket.updatedAt = nowMs;
      return { allowed: true };
    }
    const notify = !bucket.notified;
    bucket.notified = true;
    return {
      allowed: false,
      notify,
      retryAfterMs: Math.max(0, bucket.updatedAt + refillMs - nowMs),
    };
  }
}
