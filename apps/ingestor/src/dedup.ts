/**
 * The last `capacity` accepted `meta.id`s. A timestamp resume replays every event at or after
 * the position, and the live stream sometimes repeats an event without any reconnect; both
 * repeats arrive close to the original, so a window of recent ids catches them in bounded
 * memory.
 *
 * Ids are UUIDs (validation refuses events without one), kept as 128-bit numbers in typed
 * arrays: a ring in arrival order and an open-addressing index over it. That is 24 bytes an id
 * outside the garbage-collected heap, where a `Set` of strings costs about 100 bytes an id and
 * gives every major collection a hundred thousand more objects to mark. A string that is not a
 * UUID is never remembered (`add` returns true).
 */
export class DedupWindow {
  readonly capacity: number;
  /** Four 32-bit words per ring slot. */
  readonly #ring: Uint32Array;
  /** Index over the ring: slot + 1, or 0 for an empty cell; linear probing. */
  readonly #index: Int32Array;
  readonly #mask: number;
  /** Ids ever added; the ring slot of the next one is `added % capacity`. */
  #added = 0;
  #size = 0;
  readonly #words = new Uint32Array(4);

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be ≥ 1');
    this.capacity = capacity;
    this.#ring = new Uint32Array(capacity * 4);
    let cells = 2;
    while (cells < capacity * 2) cells *= 2;
    this.#index = new Int32Array(cells);
    this.#mask = cells - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** How many ids were ever added: a mark that `recent` can look back from. */
  get added(): number {
    return this.#added;
  }

  has(id: string): boolean {
    return parseUuid(id, this.#words) && this.#find(this.#words) >= 0;
  }

  /** Adds an id; returns false (and changes nothing) when it is already in the window. */
  add(id: string): boolean {
    const w = this.#words;
    if (!parseUuid(id, w)) return true;
    if (this.#find(w) >= 0) return false;
    const slot = this.#added % this.capacity;
    if (this.#added >= this.capacity) this.#remove(slot);
    else this.#size += 1;
    this.#ring.set(w, slot * 4);
    let cell = hash(w[0]!, w[1]!, w[2]!, w[3]!) & this.#mask;
    while (this.#index[cell] !== 0) cell = (cell + 1) & this.#mask;
    this.#index[cell] = slot + 1;
    this.#added += 1;
    return true;
  }

  /**
   * Up to `count` ids (lower-case UUIDs), oldest first, among those added before the mark
   * `upTo` (a value of `added` taken earlier) and still in the window.
   */
  recent(count: number, upTo = this.#added): string[] {
    const end = Math.min(upTo, this.#added);
    const start = Math.max(0, end - count, this.#added - this.capacity);
    const out: string[] = [];
    for (let i = start; i < end; i += 1) out.push(formatUuid(this.#ring, (i % this.capacity) * 4));
    return out;
  }

  /** The index cell holding these words, or −1. */
  #find(w: Uint32Array): number {
    const ring = this.#ring;
    let cell = hash(w[0]!, w[1]!, w[2]!, w[3]!) & this.#mask;
    for (;;) {
      const entry = this.#index[cell]!;
      if (entry === 0) return -1;
      const o = (entry - 1) * 4;
      if (
        ring[o] === w[0] &&
        ring[o + 1] === w[1] &&
        ring[o + 2] === w[2] &&
        ring[o + 3] === w[3]
      ) {
        return cell;
      }
      cell = (cell + 1) & this.#mask;
    }
  }

  /** Takes a ring slot's id out of the index, shifting later cells back (no tombstones). */
  #remove(slot: number): void {
    const ring = this.#ring;
    const index = this.#index;
    const mask = this.#mask;
    const o = slot * 4;
    let hole = hash(ring[o]!, ring[o + 1]!, ring[o + 2]!, ring[o + 3]!) & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    let next = hole;
    for (;;) {
      next = (next + 1) & mask;
      const entry = index[next]!;
      if (entry === 0) break;
      const e = (entry - 1) * 4;
      const home = hash(ring[e]!, ring[e + 1]!, ring[e + 2]!, ring[e + 3]!) & mask;
      // Move the entry into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!stays) {
        index[hole] = entry;
        hole = next;
      }
    }
    index[hole] = 0;
  }
}

function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) ^ d;
  return h ^ (h >>> 16);
}

/** Where the dashes go, counted in hex digits. */
const DASHES = [8, 12, 16, 20];

/** Reads `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case) into four words. */
function parseUuid(text: string, out: Uint32Array): boolean {
  if (text.length !== 36) return false;
  let word = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < 36; i += 1) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
      continue;
    }
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 97 && c <= 102) v = c - 87;
    else if (c >= 65 && c <= 70) v = c - 55;
    else return false;
    value = (value << 4) | v;
    if (++digits === 8) {
      out[word++] = value >>> 0;
      value = 0;
      digits = 0;
    }
  }
  return true;
}

function formatUuid(words: Uint32Array, offset: number): string {
  let hex = '';
  for (let i = 0; i < 4; i += 1) hex += words[offset + i]!.toString(16).padStart(8, '0');
  return DASHES.reduceRight((s, at) => `${s.slice(0, at)}-${s.slice(at)}`, hex);
}
