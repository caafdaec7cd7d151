import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from `src/` or `dist/`. */
export const repoRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'tools', 'kafka', 'kafka.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Wikipulse repository above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Git-ignored folder for downloaded tools and service data. */
export const cacheDir: string = resolve(repoRoot, '.cache');
