import { describe, expect, it } from 'vitest';
import { DedupWindow } from './dedup.js';

describe('DedupWindow', () => {
  it('refuses an id it holds and forgets the oldest beyond its capacity', () => {
    const window = new DedupWindow(3);
    expect(['a', 'b', 'c'].map((id) => window.add(id))).toEqual([true, true, true]);
    expect(window.add('b')).toBe(false);
    expect(window.add('d')).toBe(true);
    expect(window.has('a')).toBe(false);
    expect(window.size).toBe(3);
    expect(window.add('a')).toBe(true);
    expect(window.has('b')).toBe(false);
  });

  it('lists recent ids up to a mark, oldest first, only while still held', () => {
    const window = new DedupWindow(4);
    for (const id of ['a', 'b', 'c']) window.add(id);
    const mark = window.added;
    window.add('d');
    expect(window.recent(10, mark)).toEqual(['a', 'b', 'c']);
    expect(window.recent(2, mark)).toEqual(['b', 'c']);
    window.add('e');
    window.add('f');
    expect(window.recent(10, mark)).toEqual(['c']);
    expect(window.recent(10)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('stays bounded over many ids', () => {
    const window = new DedupWindow(1000);
    for (let i = 0; i < 10_000; i += 1) window.add(`id-${i}`);
    expect(window.size).toBe(1000);
    expect(window.has('id-8999')).toBe(false);
    expect(window.has('id-9000')).toBe(true);
  });

  it('refuses a capacity below one', () => {
    expect(() => new DedupWindow(0)).toThrow(/capacity/);
  });
});
