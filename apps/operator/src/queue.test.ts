import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('handles one key at a time and holds a waiting key once', async () => {
    const gate = deferred();
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const queue = new WorkQueue(
      async (key) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        seen.push(key);
        if (key === 'a') await gate.promise;
        running -= 1;
      },
      { baseDelayMs: 1, maxDelayMs: 1, onError: () => undefined },
    );
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('c');
    gate.resolve();
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(maxRunning).toBe(1);
    await queue.close();
  });

  it('retries a failing key with a growing delay until it succeeds', async () => {
    const delays: number[] = [];
    let attempts = 0;
    const queue = new WorkQueue(
      () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
      { baseDelayMs: 5, maxDelayMs: 8, onError: (_key, _error, delay) => delays.push(delay) },
    );
    queue.add('x');
    await expect.poll(() => attempts).toBe(3);
    expect(delays).toEqual([5, 8]);
    expect(queue.size).toBe(0);
    await queue.close();
  });

  it('takes no work after close', async () => {
    let handled = 0;
    const queue = new WorkQueue(
      () => {
        handled += 1;
        return Promise.resolve();
      },
      { baseDelayMs: 1, maxDelayMs: 1, onError: () => undefined },
    );
    await queue.close();
    queue.add('late');
    expect(queue.size).toBe(0);
    expect(handled).toBe(0);
  });
});
