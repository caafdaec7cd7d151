import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, repoRoot } from '@wikipulse/testing';
import {
  kafkaBrokers,
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { startConsoleServer, type ConsoleServer } from './console-http.js';
import {
  commandService,
  eventsFor,
  insertEvents,
  migrated,
  newestFirst,
  silentLog,
} from './test/helpers.js';

let ch: TestClickHouse;
let server: ConsoleServer;
let base: string;
const german = eventsFor('de', 12, Date.UTC(2026, 10, 22, 7, 0, 0));

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store = { client: ch.client, database: ch.database };
  await migrated(store);
  await insertEvents(store, german);
  server = await startConsoleServer({
    service: commandService(store),
    port: 0,
    log: silentLog,
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await ch.close();
});

function run(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/console`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** A raw request, for the headers fetch will not let a caller set (Host). */
function rawGet(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('HTTP console', () => {
  it('answers a command line with the reply the stdin console prints', async () => {
    const response = await run({ line: 'recent 5 de' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { command: string; outcome: string; text: string };
    expect(body.command).toBe('recent');
    expect(body.outcome).toBe('ok');
    const lines = body.text.split('\n');
    expect(lines[0]).toBe('Latest 5 changes · de');
    newestFirst(german)
      .slice(0, 5)
      .forEach((event, i) => {
        expect(lines[i + 1]).toContain(`${event.meta.dt.slice(11, 19)} dewiki ${event.title!}`);
      });
    const text = await run({ line: '!recent 5 de' }, { accept: 'text/plain' });
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe(`${body.text}\n`);
  });

  it('keeps each user’s language apart', async () => {
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    const say = async (user: string | undefined, line: string) =>
      ((await (await run({ line, user })).json()) as { text: string }).text;
    expect(await say(alice, 'setLang de')).toBe('Your default language is now de.');
    expect(await say(bob, 'setLang fr')).toBe('Your default language is now fr.');
    expect(await say(alice, 'setLang')).toBe(
      'Language: de (from your setting). Yours: de; server: none here; default: en.',
    );
    expect((await say(alice, 'recent 2')).split('\n')[0]).toBe('Latest 2 changes · de');
    expect(await say(bob, 'recent 2')).toBe('No changes stored for fr yet.');
    expect(await say(undefined, 'nope')).toBe(
      'Unknown command !nope. Did you mean !top? !help lists them all.',
    );
  });

  it('refuses what is not a console request, with the reason', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [run({ line: '  ' }), 400, /"line" must be a command/],
      [run({ line: 'ping', user: '123456789012345678' }), 400, /"user" must be/],
      [run({ line: 'ping', user: 'a b' }), 400, /"user" must be/],
      [run(['ping']), 400, /"line" must be a command/],
      [
        fetch(`${base}/console`, { method: 'POST', body: '{"line":"ping"}' }),
        415,
        /application\/json/,
      ],
      [
        fetch(`${base}/console`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"line":',
        }),
        400,
        /not JSON/,
      ],
      [run({ line: 'x'.repeat(20_000) }), 413, /exceeds 16384 bytes/],
      [fetch(`${base}/console`), 405, /use POST/],
      [fetch(`${base}/nothing`), 404, /not found/],
    ];
    for (const [pending, status, message] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
  });

  it('serves its page and script on localhost only', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="console.js"></script>');
    const script = await fetch(`${base}/console.js`);
    expect(await script.text()).toContain("fetch('console'");
    expect(await rawGet('/', `localhost:${server.port}`)).toBe(200);
    expect(await rawGet('/', `[::1]:${server.port}`)).toBe(200);
    expect(await rawGet('/', `attacker.example:${server.port}`)).toBe(403);
  });
});

describe('the console page in a browser', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('runs commands as the typed user and shows replies as text, never as HTML', async () => {
    const { stdout } = await promisify(execFile)('bash', [
      join(repoRoot, 'tools/browser/install.sh'),
    ]);
    browser = await chromium.launch({
      executablePath: stdout.trim(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const page = await browser.newPage();
    // The way a port-forward is opened: by localhost.
    await page.goto(`http://localhost:${server.port}/`);
    const user = uniqueName('carol');
    await page.fill('#user', user);
    const log = page.locator('#log');
    await page.fill('#line', 'setLang ja');
    await page.press('#line', 'Enter');
    await log.filter({ hasText: 'now ja.' }).waitFor();
    await page.fill('#line', '<b>x</b>');
    await page.press('#line', 'Enter');
    await log.filter({ hasText: 'Unknown command !<b>x</b>' }).waitFor();
    expect(await log.locator('b').count()).toBe(0);
    expect(await log.textContent()).toContain('> setLang ja\nYour default language is now ja.');
    // The page remembers the user for the next visit.
    await page.reload();
    expect(await page.inputValue('#user')).toBe(user);
    const response = await run({ line: 'setLang', user });
    expect(((await response.json()) as { text: string }).text).toContain('Yours: ja');
  });
});

describe('the bot process', () => {
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  beforeAll(async () => {
    await promisify(execFile)('npx', ['tsc', '-b', 'apps/bot', 'apps/sink'], { cwd: repoRoot });
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Migrates a fresh embedded database as `npm run migrate` does (the bot runs no DDL), then
   * starts `node apps/bot/dist/main.js` on it and returns the port its log says the console took.
   */
  async function startBot(env: Record<string, string>): Promise<number> {
    const dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-console-http-'));
    dataDirs.push(dataDir);
    await promisify(execFile)(process.execPath, ['apps/sink/dist/migrate.js'], {
      cwd: repoRoot,
      env: { ...process.env, CLICKHOUSE_URL: '', CLICKHOUSE_PATH: dataDir, LOG_LEVEL: 'warn' },
    });
    const child = spawn(process.execPath, ['apps/bot/dist/main.js'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DISCORD_TOKEN: '',
        KAFKA_BROKERS: '',
        CLICKHOUSE_URL: '',
        CLICKHOUSE_PATH: dataDir,
        METRICS_PORT: '0',
        CONSOLE_PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stderr });
    for await (const line of lines) {
      const entry = JSON.parse(line) as { msg?: string; host?: string; port?: number };
      if (entry.msg === 'console listening') {
        expect(entry.host).toBe('127.0.0.1');
        child.stderr.resume();
        return entry.port!;
      }
    }
    throw new Error(`the bot exited (${child.exitCode}) before its console listened`);
  }

  async function say(port: number, line: string, user: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${port}/console`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/plain' },
      body: JSON.stringify({ line, user }),
    });
    return response.text();
  }

  it('as a worker serves the console on loopback when CONSOLE_PORT is set', async () => {
    // The gateway creates the commands topic; a worker started without it stops.
    const topic = uniqueName('bot_commands');
    const bus = testBus('wikipulse-console-test');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const keyDir = await mkdtemp(join(tmpdir(), 'wikipulse-signing-key-'));
    dataDirs.push(keyDir);
    const keyFile = join(keyDir, 'key');
    await writeFile(keyFile, randomBytes(48).toString('base64'), { mode: 0o600 });
    const port = await startBot({
      BOT_ROLE: 'worker',
      COMMAND_SIGNING_KEY_FILE: keyFile,
      // The worker only uses the token to reply to Discord commands, which this test sends none of.
      DISCORD_TOKEN: 'console-test-token',
      DISCORD_API_URL: 'http://127.0.0.1:9/api',
      KAFKA_BROKERS: kafkaBrokers().join(','),
      BOT_COMMANDS_TOPIC: topic,
      BOT_WORKER_GROUP: uniqueName('bot_workers'),
      BOT_WATCH_ENABLED: 'false',
    });
    expect(await say(port, 'setLang pt', 'dev')).toBe('Your default language is now pt.\n');
  });

  it('without its schema stays not ready, says why, and serves nothing until it is migrated', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-bot-schema-'));
    dataDirs.push(dataDir);
    const metricsPort = await freePort();
    const env = {
      ...process.env,
      BOT_ROLE: 'console',
      DISCORD_TOKEN: '',
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
      CLICKHOUSE_PATH: dataDir,
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      CONSOLE_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      return { status: response.status, body: await response.json() };
    };
    const start = () => {
      const child = spawn(process.execPath, ['apps/bot/dist/main.js'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      const messages: { msg?: string; reason?: string }[] = [];
      createInterface({ input: child.stderr }).on('line', (line) =>
        messages.push(JSON.parse(line) as { msg?: string; reason?: string }),
      );
      return { child, messages };
    };

    const first = start();
    const reason = 'database wikipulse does not exist: migrations not applied';
    await vi.waitFor(
      async () =>
        expect(await readyz()).toEqual({
          status: 503,
          body: {
            ready: false,
            checks: { started: false, schema: false, kafka: true },
            reasons: { schema: reason },
          },
        }),
      { timeout: 20_000, interval: 200 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(first.messages.filter((m) => m.reason !== undefined)).toEqual([
      expect.objectContaining({ msg: 'schema not there yet; not ready, checking again', reason }),
    ]);
    expect(first.messages.map((m) => m.msg)).not.toContain('console listening');
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGTERM');
    await exited;

    // The embedded engine admits one process per data folder: migrated between two runs.
    await promisify(execFile)(process.execPath, ['apps/sink/dist/migrate.js'], {
      cwd: repoRoot,
      env: { ...process.env, CLICKHOUSE_URL: '', CLICKHOUSE_PATH: dataDir, LOG_LEVEL: 'warn' },
    });
    const second = start();
    await vi.waitFor(async () => expect((await readyz()).status).toBe(200), {
      timeout: 20_000,
      interval: 200,
    });
    expect(second.messages.map((m) => m.msg)).toContain('schema ready');
  });

  it('in the console role needs neither Discord nor Kafka', async () => {
    const port = await startBot({ BOT_ROLE: 'console' });
    expect(await say(port, 'setLang nl', 'dev')).toBe('Your default language is now nl.\n');
    expect(await say(port, 'recent 3', 'dev')).toBe('No changes stored for nl yet.\n');
  });
});
