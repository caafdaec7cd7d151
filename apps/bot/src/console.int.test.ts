import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@wikipulse/testing';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { runConsole } from './console.js';
import { commandService, eventsFor, insertEvents, migrated, newestFirst } from './test/helpers.js';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch.close();
});

describe('console adapter', () => {
  it('answers one command per line in plain text, in order, until the input ends', async () => {
    const store = { client: ch.client, database: ch.database };
    await migrated(store);
    const german = eventsFor('de', 12, Date.UTC(2026, 10, 22, 6, 0, 0));
    await insertEvents(store, german);
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    input.end('!recent 5 de\n\nstats 2999-01-01\n');
    const handled = await runConsole(commandService(store), input, output);
    expect(handled).toBe(2);
    const [recent, stats] = text.trimEnd().split('\n\n');
    const lines = recent!.split('\n');
    expect(lines[0]).toBe('Latest 5 changes · de');
    newestFirst(german)
      .slice(0, 5)
      .forEach((event, i) => {
        expect(lines[i + 1]).toContain(`${event.meta.dt.slice(11, 19)} dewiki ${event.title!}`);
        expect(lines[i + 1]).not.toMatch(/^`|\*\*|\]\(/);
      });
    expect(stats).toBe('2999-01-01 is in the future; no changes are known yet.');
  });

  it('runs as `npm run bot:console` does, with commands piped on stdin', async () => {
    await promisify(execFile)('npx', ['tsc', '-b', 'apps/bot', 'apps/sink'], { cwd: repoRoot });
    const dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-console-'));
    try {
      const env = { ...process.env, CLICKHOUSE_PATH: dataDir, CLICKHOUSE_URL: '' };
      // The console runs no DDL: without the schema it says so and exits 2.
      const refused = await promisify(execFile)(
        process.execPath,
        ['apps/bot/dist/console-main.js'],
        {
          cwd: repoRoot,
          env,
        },
      ).catch((error: unknown) => error as { code: number; stderr: string });
      expect(refused).toMatchObject({
        code: 2,
        stderr:
          'database wikipulse does not exist: migrations not applied: run npm start or npm run migrate first\n',
      });
      await promisify(execFile)(process.execPath, ['apps/sink/dist/migrate.js'], {
        cwd: repoRoot,
        env: { ...env, LOG_LEVEL: 'warn' },
      });
      const child = spawn(process.execPath, ['apps/bot/dist/console-main.js'], {
        cwd: repoRoot,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stdin.end('!setLang fr\n!setLang\n!recent 3\n!nope\n');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(stdout.trimEnd().split('\n\n')).toEqual([
        'Your default language is now fr.',
        'Language: fr (from your setting). Yours: fr; server: none here; default: en.',
        'No changes stored for fr yet.',
        'Unknown command !nope. Did you mean !top? !help lists them all.',
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
