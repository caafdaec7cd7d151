import { open } from 'node:fs/promises';

/**
 * Prepares a JSONL output file for appending after a crash and returns the `meta.id`s of its
 * last lines, oldest first. A `kill -9` can leave a half-written last line: it is cut off
 * (its event was never acknowledged, so the resumed stream sends it again). The ids let the
 * deduplication window know what the file already holds beyond the last checkpoint.
 */
export async function repairAndReadTail(path: string, maxBytes: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return [];
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lastNewline = buffer.lastIndexOf(0x0a);
    if (lastNewline !== buffer.length - 1) {
      await handle.truncate(lastNewline < 0 ? start : start + lastNewline + 1);
    }
    const text = buffer.subarray(0, lastNewline + 1).toString('utf8');
    const lines = text.split('\n');
    // The first line may be cut by the read window.
    if (start > 0) lines.shift();
    const ids: string[] = [];
    for (const line of lines) {
      if (line === '') continue;
      try {
        const id = (JSON.parse(line) as { meta?: { id?: unknown } }).meta?.id;
        if (typeof id === 'string') ids.push(id);
      } catch {
        // A line that is not JSON is not an event Wikipulse wrote.
      }
    }
    return ids;
  } finally {
    await handle.close();
  }
}
