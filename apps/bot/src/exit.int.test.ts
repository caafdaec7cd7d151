import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, startApp } from '@wikipulse/testing';
import { DiscordDouble, user } from '@wikipulse/testing/discord';
import { uniqueName } from '@wikipulse/testing/vitest';

const TOKEN = 'test-token-exit';
const mainJs = join(repoRoot, 'apps', 'bot', 'dist', 'main.js');
/** `npm run migrate`: the bot runs no DDL, its database's owner migrates. */
const migrateJs = join(repoRoot, 'apps', 'sink', 'dist', 'migrate.js');

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('bot stopped with SIGTERM', () => {
  it('exits with status 0 after answering on Discord (embedded engine)', async () => {
    const discord = await new DiscordDouble({ token: TOKEN }).start();
    cleanup.push(() => discord.close());
    const path = await mkdtemp(join(tmpdir(), 'wikipulse-bot-exit-'));
    cleanup.push(() => rm(path, { recursive: true, force: true }));

    const database = uniqueName('wikipulse_bot_exit');
    await promisify(execFile)(process.execPath, [migrateJs], {
      env: {
        ...process.env,
        CLICKHOUSE_URL: '',
        CLICKHOUSE_PATH: path,
        CLICKHOUSE_DATABASE: database,
      },
    });
    const bot = startApp([mainJs], {
      env: {
        ...process.env,
        BOT_ROLE: 'standalone',
        DISCORD_TOKEN: TOKEN,
        DISCORD_API_URL: discord.apiUrl,
        KAFKA_BROKERS: '',
        CLICKHOUSE_URL: '',
        CLICKHOUSE_PATH: path,
        CLICKHOUSE_DATABASE: database,
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
    });
    await bot.line(/"msg":"running"/);
    const owner = user('owner');
    const guild = discord.addGuild({ ownerId: owner.id });
    const asked = discord.sendMessage({ guild, author: owner, content: '!stats' });
    await discord.waitFor(
      (r) =>
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === asked,
    );

    const exit = await bot.stop('SIGTERM');
    expect(exit, bot.tail()).toEqual({ code: 0, signal: null });
    expect(bot.tail()).toMatch(/"msg":"stopped"/);
  });
});
