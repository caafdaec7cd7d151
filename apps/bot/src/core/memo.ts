import { systemClock, type Clock } from '@wikipulse/lifecycle';

/**
 * A small per-worker cache for answers that are expensive and may be a few seconds old: a
 * day's counts (whose exact, duplicate-proof count means merging the day's set of event ids)
 * and the most-edited pages. A fresh entry (younger than the TTL) is served as is; a stale one
 * (younger than twice the TTL) is served while one refresh runs in the background; anything
 * older is loaded again before answering, so a quiet bot never answers with old data.
 * Concurrent misses share one query. Bounded in size.
 */
interface Entry {
  value: unknown;
  freshUntil: number;
  refreshing: boolean;
}

export class Memo {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<unknown>>();
  readonly #maxEntries: number;
  readonly #clock: Clock;

  constructor(options: { maxEntries?: number; clock?: Clock } = {}) {
    this.#maxEntries = options.maxEntries ?? 5000;
    this.#clock = options.clock ?? systemClock;
  }

  async get<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(key);
    const now = this.#clock().getTime();
    if (entry !== undefined && now < entry.freshUntil + ttlMs) {
      if (entry.freshUntil <= now && !entry.refreshing) {
        entry.refreshing = true;
        this.#load(key, ttlMs, load).catch(() => {
          entry.refreshing = false;
        });
      }
      return entry.value as T;
    }
    return (await this.#load(key, ttlMs, load)) as T;
  }

  /** Forgets the entries whose key matches (after a write this worker made). */
  forget(match: (key: string) => boolean): void {
    for (const key of [...this.#entries.keys()]) if (match(key)) this.#entries.delete(key);
  }

  #load(key: string, ttlMs: number, load: () => Promise<unknown>): Promise<unknown> {
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const promise = load()
      .then((value) => {
        this.#entries.delete(key);
        this.#entries.set(key, {
          value,
          freshUntil: this.#clock().getTime() + ttlMs,
          refreshing: false,
        });
        if (this.#entries.size > this.#maxEntries) {
          const oldest = this.#entries.keys().next().value;
          if (oldest !== undefined) this.#entries.delete(oldest);
        }
        return value;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, promise);
    return promise;
  }
}
