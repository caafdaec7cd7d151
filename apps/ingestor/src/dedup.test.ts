import { describe, expect, it } from 'vitest';
import { DedupWindow } from './dedup.js';

/** A UUID whose last group is `n`. */
const id = (n: number) => `0a1b2c3d-4e5f-4a6b-8c7d-${n.toString(16).padStart(12, '0')}`;

describe('DedupWindow', () => {
  it('refuses an id it holds and forgets the oldest beyond its capacity', () => {
    const window = new DedupWindow(3);
    expect([1, 2, 3].map((n) => window.add(id(n)))).toEqual([true, true, true]);
    expect(window.add(id(2))).toBe(false);
    expect(window.add(id(4))).toBe(true);
    expect(window.has(id(1))).toBe(false);
    expect(window.size).toBe(3);
    expect(window.add(id(1))).toBe(true);
    expect(window.has(id(2))).toBe(false);
  });

  it('treats upper and lower case as the same UUID and remembers nothing else', () => {
    const window = new DedupWindow(10);
    expect(window.add('ABCDEF01-2345-4678-9ABC-DEF012345678')).toBe(true);
    expect(window.add('abcdef01-2345-4678-9abc-def012345678')).toBe(false);
    for (const bad of [
      '',
      'not-a-uuid',
      'abcdef01-2345-4678-9abc-def01234567g',
      'abcdef0112345-4678-9abc-def012345678',
    ]) {
      expect(window.add(bad)).toBe(true);
      expect(window.add(bad)).toBe(true);
      expect(window.has(bad)).toBe(false);
    }
    expect(window.size).toBe(1);
  });

  it('lists recent ids up to a mark, oldest first, only while still held', () => {
    const window = new DedupWindow(4);
    for (const n of [1, 2, 3]) window.add(id(n));
    const mark = window.added;
    window.add(id(4));
    expect(window.recent(10, mark)).toEqual([id(1), id(2), id(3)]);
    expect(window.recent(2, mark)).toEqual([id(2), id(3)]);
    window.add(id(5));
    window.add(id(6));
    expect(window.recent(10, mark)).toEqual([id(3)]);
    expect(window.recent(10)).toEqual([id(3), id(4), id(5), id(6)]);
    expect(window.recent(1)).toEqual(['0a1b2c3d-4e5f-4a6b-8c7d-000000000006']);
  });

  it('agrees with a plain set over many random ids, evictions and repeats', () => {
    const capacity = 1000;
    const window = new DedupWindow(capacity);
    const order: string[] = [];
    const held = new Set<string>();
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 50_000; i += 1) {
      // Repeats of recent and of long-evicted ids, among new ones.
      const pick = random() % 4;
      const candidate =
        pick === 0 && order.length > 0
          ? order[order.length - 1 - (random() % Math.min(order.length, 2 * capacity))]!
          : id(random() % 100_000);
      expect(window.add(candidate)).toBe(!held.has(candidate));
      if (held.has(candidate)) continue;
      order.push(candidate);
      held.add(candidate);
      if (order.length > capacity) held.delete(order[order.length - 1 - capacity]!);
    }
    expect(window.size).toBe(capacity);
    expect(window.recent(capacity)).toEqual(order.slice(-capacity));
  });

  it('refuses a capacity below one', () => {
    expect(() => new DedupWindow(0)).toThrow(/capacity/);
  });
});
