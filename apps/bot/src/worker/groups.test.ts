import { describe, expect, it } from 'vitest';
import { groupBy, runGroups } from './groups.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runGroups', () => {
  it('keeps each group in order while groups run side by side, within the bound', async () => {
    const done: string[] = [];
    let running = 0;
    let most = 0;
    const groups = groupBy(['a1', 'b1', 'a2', 'c1', 'a3', 'b2', 'd1'], (item) => item[0]!);
    await runGroups(groups.values(), 2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      // Group a is slow: the others must not wait for all of it.
      await sleep(item.startsWith('a') ? 30 : 5);
      running -= 1;
      done.push(item);
    });
    expect(most).toBe(2);
    expect(done.filter((i) => i.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(done.filter((i) => i.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(done.indexOf('d1')).toBeLessThan(done.indexOf('a3'));
    expect(done).toHaveLength(7);
  });

  it('calls afterGroup once per group and copes with no groups', async () => {
    let after = 0;
    await runGroups(
      [[1], [2, 3]],
      4,
      async () => {},
      async () => void (after += 1),
    );
    expect(after).toBe(2);
    await runGroups([], 4, async () => {});
  });
});
