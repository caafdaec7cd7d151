import { REST, type Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Producer } from '@wikipulse/kafka';
import { DiscordDouble, user, type DoubleGuild } from '@wikipulse/testing/discord';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { startGateway } from '../discord/gateway.js';
import { createProcessor } from '../discord/processor.js';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { commandRecord, encodeRequest, type CommandRequest } from '../discord/request.js';
import { DiscordResponder } from '../discord/responder.js';
import { CommandSigner } from '../discord/signing.js';
import { createBotMetrics, type BotMetrics } from '../metrics.js';
import {
  commandService,
  eventsFor,
  insertEvents,
  migrated,
  silentLog,
  templatesFor,
} from '../test/helpers.js';
import { startCommandWorker } from './commands.js';
import { startWatchNotifier, type WatchNotifier } from './watches.js';
import { takeFreshEvents } from '@wikipulse/testing';

const TOKEN = 'test-token-workers';
const bus = testBus('wikipulse-bot-test');
const commandsTopic = uniqueName('bot_commands');
const eventsTopic = uniqueName('recentchange');
const groupId = uniqueName('bot_workers');
let ch: TestClickHouse;
let discord: DiscordDouble;
let gateway: Client;
let guild: DoubleGuild;
let producer: Producer;
const workers: Consumer[] = [];
let notifier: WatchNotifier;
const handledBy: Record<'a' | 'b', string[]> = { a: [], b: [] };
// Gateway and workers share this process, and so a key of this process alone.
const signer = CommandSigner.random();
const metrics: BotMetrics[] = [];
/** The workers' warnings, one JSON line each. */
const warnings: string[] = [];
const workerLog = createLogger({
  name: 'bot-test',
  level: 'warn',
  destination: { write: (line: string) => void warnings.push(line) },
});
const processors: Record<'a' | 'b', (r: CommandRequest) => Promise<unknown>> = {} as never;

async function worker(name: 'a' | 'b') {
  const store = { client: ch.client, database: ch.database };
  const responder = new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
  const process = createProcessor({
    service: commandService(store),
    responder,
    log: silentLog,
  });
  processors[name] = process;
  const workerMetrics = createBotMetrics(new Registry());
  metrics.push(workerMetrics);
  return startCommandWorker({
    bus,
    topic: commandsTopic,
    groupId,
    process,
    signer,
    log: workerLog,
    metrics: workerMetrics,
    concurrency: 4,
    onProcessed: (request) => handledBy[name].push(request.id),
  });
}

async function groupMembers(): Promise<number> {
  const group = await bus.describeGroup(groupId);
  return group.state === 'Stable' ? group.members : 0;
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store = { client: ch.client, database: ch.database };
  await migrated(store);
  await insertEvents(store, eventsFor('de', 20, Date.UTC(2026, 10, 21, 9, 0, 0)));
  await bus.ensureTopics([
    { topic: commandsTopic, partitions: 4 },
    { topic: eventsTopic, partitions: 2 },
  ]);
  discord = await new DiscordDouble({ token: TOKEN }).start();
  guild = discord.addGuild({ ownerId: user('owner').id, channels: 2 });
  producer = await bus.producer();
  gateway = await startGateway({
    token: TOKEN,
    apiUrl: discord.apiUrl,
    prefix: '!',
    prefixCommands: true,
    log: silentLog,
    submit: (request) =>
      producer.send(commandsTopic, [commandRecord(signer, commandsTopic, request)]),
  });
  workers.push(await worker('a'), await worker('b'));
  const deadline = Date.now() + 60_000;
  while ((await groupMembers()) !== 2) {
    if (Date.now() > deadline) throw new Error('the two workers did not form a group');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

afterAll(async () => {
  await notifier.close();
  await Promise.all(workers.map((w) => w.close()));
  await gateway.destroy();
  await producer.close();
  await discord.close();
  await ch.close();
});

describe('gateway → Kafka → two workers in one consumer group', () => {
  it('answers every command exactly once, shared between both workers', async () => {
    const users = Array.from({ length: 20 }, (_, i) => user(`user${i}`));
    const ids = users.flatMap((author) => [
      discord.sendMessage({ guild, author, content: '!ping' }),
      discord.sendMessage({ guild, author, content: '!recent 3 de' }),
    ]);
    await Promise.all(
      ids.map((id) =>
        discord.waitFor(
          (r) =>
            r.body['message_reference'] !== undefined &&
            (r.body['message_reference'] as { message_id: string }).message_id === id,
          30_000,
        ),
      ),
    );
    // Time for any duplicate to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ids.map((id) => discord.repliesTo(id).length)).toEqual(ids.map(() => 1));
    expect(handledBy.a.length).toBeGreaterThan(0);
    expect(handledBy.b.length).toBeGreaterThan(0);
    expect(new Set([...handledBy.a, ...handledBy.b]).size).toBe(ids.length);
    expect(handledBy.a.filter((id) => handledBy.b.includes(id))).toEqual([]);
    const recent = discord.repliesTo(ids[1]!)[0]!;
    expect((recent.body['embeds'] as { title: string }[])[0]!.title).toBe('Latest 3 changes · de');
  });

  it('does not answer twice when a command is redelivered to the other worker', async () => {
    const id = discord.sendMessage({
      guild,
      author: user('crash'),
      content: 'not a command for the gateway',
    });
    const request: CommandRequest = {
      v: 1,
      id,
      text: '!recent 2 de',
      userId: 'crash',
      guildId: guild.id,
      channelId: guild.channelIds[0]!,
      canManageGuild: false,
      canManageChannels: false,
      sentAt: Date.now(),
      receivedAt: Date.now(),
    };
    await processors.a(request);
    await processors.b(request);
    expect(discord.repliesTo(id)).toHaveLength(1);
  });

  it('skips records that are not command requests and keeps consuming', async () => {
    await producer.send(commandsTopic, [
      signer.sign(commandsTopic, { key: 'x', value: '{"v":2}' }),
      signer.sign(commandsTopic, { key: 'y', value: 'garbage' }),
    ]);
    const id = discord.sendMessage({ guild, author: user('after'), content: '!ping' });
    const reply = await discord.waitFor(
      (r) =>
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
      30_000,
    );
    expect(reply.body['content']).toMatch(/^Pong/);
  });

  it('drops and counts unsigned and forged commands, and serves a signed one', async () => {
    const request = (name: string, text: string): CommandRequest => ({
      v: 1,
      // A message the gateway ignores: only the records below carry it as a command.
      id: discord.sendMessage({ guild, author: user(name), content: 'just chatting' }),
      text,
      userId: name,
      guildId: guild.id,
      channelId: guild.channelIds[0]!,
      canManageGuild: true,
      canManageChannels: false,
      sentAt: Date.now(),
      receivedAt: Date.now(),
    });
    const unsigned = request('mallory1', '!ping');
    const otherKey = request('mallory2', '!ping');
    const tampered = request('mallory3', '!ping');
    const signed = request('alice', '!ping');
    const tamperedRecord = commandRecord(signer, commandsTopic, tampered);
    await producer.send(commandsTopic, [
      { key: unsigned.userId, value: encodeRequest(unsigned) },
      commandRecord(CommandSigner.random(), commandsTopic, otherKey),
      { ...tamperedRecord, value: encodeRequest({ ...tampered, text: '!setlang fr' }) },
      commandRecord(signer, commandsTopic, signed),
    ]);
    const reply = await discord.waitFor(
      (r) =>
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id ===
        signed.id,
      30_000,
    );
    expect(reply.body['content']).toMatch(/^Pong/);
    // The rejected records sit before the signed one on some partition or none: give any
    // late answer time to show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const rejected of [unsigned, otherKey, tampered]) {
      expect(discord.repliesTo(rejected.id)).toEqual([]);
    }
    const counted: Record<string, number> = {};
    for (const m of metrics) {
      for (const { labels, value } of (await m.commandsRejected.get()).values) {
        const reason = String(labels.reason);
        counted[reason] = (counted[reason] ?? 0) + value;
      }
    }
    expect(counted).toEqual({ unsigned: 1, forged: 2 });
    // One line per dropped record, saying where and why, never what it held.
    const dropped = warnings
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry['msg'] === 'dropping a command record the gateway did not sign');
    expect(dropped.map((entry) => entry['reason']).sort()).toEqual([
      'forged',
      'forged',
      'unsigned',
    ]);
    for (const entry of dropped) {
      expect(Object.keys(entry).sort()).toEqual(
        ['level', 'msg', 'name', 'offset', 'partition', 'reason', 'time'].sort(),
      );
    }
    expect(warnings.join('')).not.toMatch(/mallory|setlang|!ping/);
  });

  it('announces a change of a watched page once in the watching channel', async () => {
    const channelId = guild.channelIds[1]!;
    const watchId = discord.sendMessage({
      guild,
      channelId,
      author: user('watcher'),
      content: '!watch de:Berliner Mauer',
    });
    const ack = await discord.waitFor(
      (r) =>
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id ===
        watchId,
      30_000,
    );
    expect(ack.body['content']).toContain('Watching');

    const responder = new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
    notifier = await startWatchNotifier({
      bus,
      store: { client: ch.client, database: ch.database },
      topic: eventsTopic,
      groupId: uniqueName('bot_watch'),
      responder,
      log: silentLog,
      refreshMs: 60_000,
      concurrency: 4,
    });
    const [other, watched] = takeFreshEvents(2, {
      templates: templatesFor('de'),
      startMs: Date.now(),
    }).map((e, i) => ({
      ...e,
      title: i === 0 ? 'Berlin' : 'Berliner Mauer',
    }));
    const text = JSON.stringify(watched);
    // The second copy is a redelivery: the same event must not be announced twice.
    await producer.send(eventsTopic, [
      { value: JSON.stringify(other) },
      { value: text },
      { value: text },
    ]);
    const announcement = await discord.waitFor(
      (r) =>
        r.kind === 'channel_message' &&
        r.target === channelId &&
        r.body['message_reference'] === undefined,
      30_000,
    );
    const embed = (announcement.body['embeds'] as { title: string; description: string }[])[0]!;
    expect(embed.title).toBe('A watched page changed');
    expect(embed.description).toContain('Berliner Mauer');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const announcements = discord.sent.filter(
      (r) =>
        r.kind === 'channel_message' &&
        r.target === channelId &&
        r.body['message_reference'] === undefined,
    );
    expect(announcements).toHaveLength(1);
  });
});
