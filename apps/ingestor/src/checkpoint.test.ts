import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore, parseCheckpoint } from './checkpoint.js';

const position =
  '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1700000000000}]';

describe('parseCheckpoint', () => {
  it('reads a checkpoint and refuses anything else', () => {
    const text = JSON.stringify({ position, receivedAt: 1, savedAt: 2, recentIds: ['a'] });
    expect(parseCheckpoint(text)).toEqual({
      position,
      receivedAt: 1,
      savedAt: 2,
      recentIds: ['a'],
    });
    expect(parseCheckpoint('{')).toBeUndefined();
    expect(
      parseCheckpoint(JSON.stringify({ position: 'x', receivedAt: 1, savedAt: 2 })),
    ).toBeUndefined();
    expect(parseCheckpoint(JSON.stringify({ position, savedAt: 2 }))).toBeUndefined();
  });
});

describe('FileCheckpointStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wikipulse-checkpoint-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has nothing before the first save, then returns the latest', async () => {
    const store = new FileCheckpointStore(join(dir, 'position.json'));
    expect(await store.load()).toBeUndefined();
    await store.save({ position, receivedAt: 1, savedAt: 2 });
    await store.save({ position, receivedAt: 3, savedAt: 4, recentIds: ['x'] });
    expect(await store.load()).toEqual({ position, receivedAt: 3, savedAt: 4, recentIds: ['x'] });
    expect(JSON.parse(await readFile(join(dir, 'position.json'), 'utf8'))).toMatchObject({
      receivedAt: 3,
    });
  });

  it('refuses a file that is not a checkpoint instead of starting over silently', async () => {
    const path = join(dir, 'position.json');
    await writeFile(path, 'hello');
    await expect(new FileCheckpointStore(path).load()).rejects.toThrow(/not a Wikipulse/);
  });
});
