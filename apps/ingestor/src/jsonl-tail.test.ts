import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repairAndReadTail } from './jsonl-tail.js';

const line = (id: string) => JSON.stringify({ meta: { id }, title: 'x'.repeat(50) });

describe('repairAndReadTail', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wikipulse-jsonl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns nothing for a missing or empty file', async () => {
    expect(await repairAndReadTail(join(dir, 'none.jsonl'), 1000)).toEqual([]);
    await writeFile(join(dir, 'empty.jsonl'), '');
    expect(await repairAndReadTail(join(dir, 'empty.jsonl'), 1000)).toEqual([]);
  });

  it('cuts a half-written last line and lists the ids before it', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${line('a')}\n${line('b')}\n${line('c').slice(0, 20)}`);
    expect(await repairAndReadTail(path, 10_000)).toEqual(['a', 'b']);
    expect(await readFile(path, 'utf8')).toBe(`${line('a')}\n${line('b')}\n`);
  });

  it('reads only the end of a large file, skipping the line the window cuts', async () => {
    const path = join(dir, 'events.jsonl');
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    await writeFile(path, ids.map((id) => `${line(id)}\n`).join(''));
    const size = line('id-99').length + 1;
    const tail = await repairAndReadTail(path, size * 3 + 5);
    expect(tail).toEqual(['id-97', 'id-98', 'id-99']);
  });
});
