import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of bundled real recordings, beside this package's `src/` and `dist/`. */
export const recordingsDir: string = fileURLToPath(new URL('../recordings/', import.meta.url));

/** The events of one JSONL recording as raw JSON text, one per line, blank lines skipped. */
export function readRecording(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
