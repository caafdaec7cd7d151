/**
 * The last `capacity` accepted `meta.id`s. A timestamp resume replays every event at or after
 * the position, and the live stream sometimes repeats an event without any reconnect; both
 * repeats arrive close to the original, so a window of recent ids catches them in bounded
 * memory (about 100 bytes an id). A ring buffer evicts the oldest id in O(1).
 */
export class DedupWindow {
  readonly capacity: number;
  readonly #ids = new Set<string>();
  readonly #ring: (string | undefined)[];
  /** Ids ever added; the ring slot of the next one is `added % capacity`. */
  #added = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be ≥ 1');
    this.capacity = capacity;
    this.#ring = new Array<string | undefined>(capacity);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** How many ids were ever added: a mark that `recent` can look back from. */
  get added(): number {
    return this.#added;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Adds an id; returns false (and changes nothing) when it is already in the window. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    const slot = this.#added % this.capacity;
    const evicted = this.#ring[slot];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[slot] = id;
    this.#ids.add(id);
    this.#added += 1;
    return true;
  }

  /**
   * Up to `count` ids, oldest first, among those added before the mark `upTo` (a value of
   * `added` taken earlier) and still in the window.
   */
  recent(count: number, upTo = this.#added): string[] {
    const end = Math.min(upTo, this.#added);
    const start = Math.max(0, end - count, this.#added - this.capacity);
    const out: string[] = [];
    for (let i = start; i < end; i += 1) {
      const id = this.#ring[i % this.capacity];
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}
