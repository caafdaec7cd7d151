import { describe, expect, it } from 'vitest';
import { Memo } from './memo.js';

describe('Memo', () => {
  it('serves fresh entries, refreshes stale ones in the background, and shares concurrent misses', async () => {
    let now = 0;
    let loads = 0;
    const memo = new Memo({ clock: () => new Date(now) });
    const load = async () => {
      loads += 1;
      await Promise.resolve();
      return loads;
    };
    expect(await Promise.all([memo.get('k', 100, load), memo.get('k', 100, load)])).toEqual([1, 1]);
    now = 50;
    expect(await memo.get('k', 100, load)).toBe(1);
    now = 150;
    expect(await memo.get('k', 100, load)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await memo.get('k', 100, load)).toBe(2);
    now = 1000;
    expect(await memo.get('k', 100, load)).toBe(3);
    memo.forget((key) => key === 'k');
    expect(await memo.get('k', 100, load)).toBe(4);
  });

  it('keeps at most maxEntries', async () => {
    const memo = new Memo({ maxEntries: 2 });
    let loads = 0;
    const load = () => Promise.resolve((loads += 1));
    await memo.get('a', 1e9, load);
    await memo.get('b', 1e9, load);
    await memo.get('c', 1e9, load);
    expect(await memo.get('a', 1e9, load)).toBe(4);
  });
});
