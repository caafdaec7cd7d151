import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import type { Store } from '@wikipulse/store';
import { takeFreshEvents } from '@wikipulse/testing';
import {
  DiscordDouble,
  user,
  type DoubleGuild,
  type DoubleUser,
  type SentRecord,
} from '@wikipulse/testing/discord';
import {
  kafkaBrokers,
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { createApp, type BotApp } from './app.js';
import { commandRecord, type CommandRequest } from './discord/request.js';
import { CommandSigner } from './discord/signing.js';
import { readBotEnv } from './env.js';
import { migrated, templatesFor } from './test/helpers.js';

/**
 * The gateway and worker roles through `createApp`, both on a clock 20 minutes ahead of the
 * machine's: the gateway stamps each command's receipt with it, and the command worker (which
 * drops commands older than 5 minutes) and the watch notifier (changes older than 10 minutes)
 * measure ages on it. What is new by the machine's clock is too old by the apps', and only
 * what is new by the apps' clock gets an answer.
 */
const TOKEN = 'test-token-app-clock';
const AHEAD_MS = 20 * 60_000;
const clock = () => new Date(Date.now() + AHEAD_MS);
const bus = testBus('wikipulse-bot-clock-test');
const commandsTopic = uniqueName('bot_commands');
const eventsTopic = uniqueName('recentchange');
const warnings: Record<string, unknown>[] = [];
let ch: TestClickHouse;
let discord: DiscordDouble;
let guild: DoubleGuild;
let producer: Producer;
let signer: CommandSigner;
const apps: BotApp[] = [];
let keyDir: string;

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store: Store = { client: ch.client, database: ch.database };
  await migrated(store);
  // One partition: the notifier reads the changes in the order they are written. (The gateway
  // creates the commands topic.)
  await bus.ensureTopics([{ topic: eventsTopic, partitions: 1 }]);
  discord = await new DiscordDouble({ token: TOKEN }).start();
  guild = discord.addGuild({ ownerId: user('owner').id, channels: 2 });
  keyDir = await mkdtemp(join(tmpdir(), 'wikipulse-bot-clock-'));
  const keyFile = join(keyDir, 'key');
  await writeFile(keyFile, randomBytes(48).toString('base64'), { mode: 0o600 });
  const shared = {
    DISCORD_TOKEN: TOKEN,
    DISCORD_API_URL: discord.apiUrl,
    COMMAND_SIGNING_KEY_FILE: keyFile,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    BOT_COMMANDS_TOPIC: commandsTopic,
  };
  const worker = readBotEnv({
    ...shared,
    BOT_ROLE: 'worker',
    BOT_WORKER_GROUP: uniqueName('bot_workers'),
    EVENTS_TOPIC: eventsTopic,
    BOT_WATCH_GROUP: uniqueName('bot_watch'),
    BOT_WATCH_REFRESH_MS: '100',
    BOT_FEEDS_ENABLED: 'false',
    BOT_DIGEST_ENABLED: 'false',
  });
  signer = new CommandSigner(worker.COMMAND_SIGNING_KEY_FILE!.text);
  producer = await bus.producer();
  const log = createLogger({
    name: 'bot-clock-test',
    level: 'warn',
    destination: {
      write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  for (const env of [readBotEnv({ ...shared, BOT_ROLE: 'gateway' }), worker]) {
    const app = createApp(env, { bus, store, log, registry: new Registry(), clock });
    apps.push(app);
    await app.start();
  }
});

afterAll(async () => {
  for (const app of apps.reverse()) await app.close();
  await producer.close();
  await discord.close();
  await ch.close();
  await rm(keyDir, { recursive: true, force: true });
});

/** A user's message to the bot, through the gateway. */
function say(author: DoubleUser, content: string): string {
  return discord.sendMessage({ guild, author, content });
}

function replyTo(id: string): Promise<SentRecord> {
  return discord.waitFor(
    (r) => (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
    30_000,
  );
}

describe("the bot's gateway and worker roles on the clock they are given", () => {
  it('drops a command received by the machine clock, and answers one the gateway received', async () => {
    const author = user('clocked');
    // A command record as a gateway on the machine's clock would write it: 20 minutes old by
    // the worker's. Its message is plain text, which the gateway itself does not forward.
    const stale: CommandRequest = {
      v: 1,
      id: say(author, 'just chatting'),
      text: '!ping',
      userId: author.id,
      guildId: guild.id,
      channelId: guild.channelIds[0]!,
      canManageGuild: false,
      canManageChannels: false,
      sentAt: Date.now(),
      receivedAt: Date.now(),
    };
    await producer.send(commandsTopic, [commandRecord(signer, commandsTopic, stale)]);
    // The same user, so the same partition: the stale record is read first.
    const fresh = say(author, '!ping');
    expect((await replyTo(fresh)).body['content']).toMatch(/^Pong/);
    expect(discord.repliesTo(stale.id)).toEqual([]);
    const dropped = warnings.filter((w) => w['msg'] === 'dropping a stale command');
    expect(dropped.map((w) => w['requestId'])).toEqual([stale.id]);
    expect(dropped[0]!['ageMs']).toBeGreaterThanOrEqual(AHEAD_MS);
  });

  it('announces a watched change new by its clock, not one new by the machine', async () => {
    const channelId = guild.channelIds[0]!;
    const watch = say(user('watcher'), '!watch de:Berliner Mauer');
    expect((await replyTo(watch)).body['content']).toContain('Watching');
    // The notifier reloads the watches every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const [machineNow, appNow] = ['Machine Clock', 'App Clock'].map((editor, i) => ({
      ...takeFreshEvents(1, {
        templates: templatesFor('de'),
        startMs: i === 0 ? Date.now() : clock().getTime(),
      })[0]!,
      title: 'Berliner Mauer',
      user: editor,
    }));
    // One partition: the change new by the machine's clock is looked at first.
    await producer.send(eventsTopic, [
      { value: JSON.stringify(machineNow) },
      { value: JSON.stringify(appNow) },
    ]);
    const announced = (r: SentRecord) =>
      r.kind === 'channel_message' &&
      r.target === channelId &&
      r.body['message_reference'] === undefined;
    await discord.waitFor(announced, 30_000);
    const descriptions = discord.sent
      .filter(announced)
      .map((r) => (r.body['embeds'] as { description: string }[])[0]!.description);
    expect(descriptions).toHaveLength(1);
    expect(descriptions[0]).toContain('App Clock');
    expect(descriptions[0]).not.toContain('Machine Clock');
  });
});
