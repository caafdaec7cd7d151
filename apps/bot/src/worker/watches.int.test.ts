import { REST, type Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from '@wikipulse/kafka';
import { addWatch, channelPause, type Store } from '@wikipulse/store';
import { takeFreshEvents } from '@wikipulse/testing';
import {
  DiscordDouble,
  PERMISSIONS,
  snowflake,
  user,
  type DoubleGuild,
  type SentRecord,
} from '@wikipulse/testing/discord';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { DiscordResponder } from '../discord/responder.js';
import {
  commandService,
  migrated,
  silentLog,
  standaloneBot,
  templatesFor,
} from '../test/helpers.js';
import { startWatchNotifier, type WatchNotifier } from './watches.js';

/**
 * Page watches end to end: changes produced to a real Kafka topic, the notifier in its own
 * consumer group, replies through the real discord.js client and REST client to the Discord
 * double; the embedded ClickHouse engine keeps the watches.
 */
const TOKEN = 'test-token-watches';
const bus = testBus('wikipulse-bot-watch-test');
const eventsTopic = uniqueName('recentchange_watch');
let ch: TestClickHouse;
let store: Store;
let discord: DiscordDouble;
/** A second double that answers every call 250 ms late: Discord slowing the notifier down. */
let slowDiscord: DiscordDouble;
let gateway: Client;
let guild: DoubleGuild;
let producer: Producer;
const notifiers: WatchNotifier[] = [];
const watcher = user('watcher');
const stranger = user('stranger');
const moderator = user('moderator');
let moderatorRoles: string[];

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrated(store);
  await bus.ensureTopics([{ topic: eventsTopic, partitions: 1 }]);
  producer = await bus.producer();
  discord = await new DiscordDouble({ token: TOKEN }).start();
  slowDiscord = await new DiscordDouble({ token: TOKEN, restDelayMs: 250 }).start();
  guild = discord.addGuild({
    ownerId: user('owner').id,
    channels: 3,
    roles: { moderator: PERMISSIONS.MANAGE_CHANNELS },
  });
  moderatorRoles = [guild.roleIds['moderator']!];
  gateway = await standaloneBot({
    apiUrl: discord.apiUrl,
    token: TOKEN,
    service: commandService(store),
  });
});

afterAll(async () => {
  for (const notifier of notifiers) await notifier.close();
  await gateway.destroy();
  await producer.close();
  await discord.close();
  await slowDiscord.close();
  await ch.close();
});

function responder(double: DiscordDouble): DiscordResponder {
  return new DiscordResponder(new REST({ api: double.apiUrl }).setToken(TOKEN));
}

async function notifier(double: DiscordDouble): Promise<WatchNotifier> {
  const started = await startWatchNotifier({
    bus,
    store,
    topic: eventsTopic,
    groupId: uniqueName('bot_watch'),
    responder: responder(double),
    log: silentLog,
    refreshMs: 60_000,
    concurrency: 8,
  });
  notifiers.push(started);
  return started;
}

async function say(author: typeof watcher, content: string, channel = 0): Promise<string> {
  const id = discord.sendMessage({
    guild,
    channelId: guild.channelIds[channel]!,
    author,
    content,
    roleIds: author === moderator ? moderatorRoles : [],
  });
  const reply = await discord.waitFor(
    (r) => (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
  );
  const embeds = (reply.body['embeds'] ?? []) as { title?: string; footer?: { text: string } }[];
  return [
    typeof reply.body['content'] === 'string' ? reply.body['content'] : '',
    ...embeds.map((e) => `${e.title ?? ''}\n${e.footer?.text ?? ''}`),
  ].join('\n');
}

/** Fresh German changes of the given pages, in this order, a second apart. */
function changesOf(titles: readonly string[]): Record<string, unknown>[] {
  return takeFreshEvents(titles.length, {
    templates: templatesFor('de'),
    startMs: Date.now() - titles.length * 1000,
    stepMs: 1000,
  }).map((event, i) => ({ ...event, title: titles[i], type: 'edit' }));
}

function announcements(double: DiscordDouble, channelId: string): SentRecord[] {
  return double.sent.filter(
    (r) =>
      r.kind === 'channel_message' &&
      r.target === channelId &&
      r.body['message_reference'] === undefined,
  );
}

describe('!unwatch', () => {
  it('removes one’s own watch; someone else’s only with Manage Channels', async () => {
    expect(await say(watcher, '!watch de:Brandenburger Tor')).toContain('Watching');
    expect(await say(stranger, '!unwatch de:Brandenburger Tor')).toContain(
      'Someone else set up this watch: removing it needs the Manage Channels permission here.',
    );
    expect(await say(moderator, '!unwatch de:Brandenburger Tor')).toContain('Stopped watching');
    expect(await say(watcher, '!watch de:Brandenburger Tor')).toContain('Watching');
    expect(await say(watcher, '!unwatch de:Brandenburger Tor')).toContain('Stopped watching');
  });
});

describe('the watch notifier', () => {
  it('pauses a channel Discord refuses, lists it as paused, and resumes on a new watch', async () => {
    const channelId = guild.channelIds[1]!;
    expect(await say(watcher, '!watch de:Reichstag', 1)).toContain('Watching');
    const watching = await notifier(discord);
    discord.refuseChannel(channelId, 403);
    await producer.send(eventsTopic, [
      { key: 'de', value: JSON.stringify(changesOf(['Reichstag'])[0]) },
    ]);
    await expect
      .poll(() => channelPause(store, channelId), { timeout: 30_000 })
      .toEqual({
        channel_id: channelId,
        status: 403,
      });

    // Discord lets the bot in again: the list says why nothing arrives, and nothing is sent.
    discord.refuseChannel(channelId, null);
    const list = await say(watcher, '!watch', 1);
    expect(list).toContain('· paused');
    expect(list).toContain('Discord refused the last message here (403)');
    await producer.send(eventsTopic, [
      { key: 'de', value: JSON.stringify(changesOf(['Reichstag'])[0]) },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(announcements(discord, channelId)).toHaveLength(0);

    expect(await say(watcher, '!watch de:Siegessäule', 1)).toContain('Watching');
    expect(await channelPause(store, channelId)).toBeUndefined();
    await watching.refresh();
    await producer.send(eventsTopic, [
      { key: 'de', value: JSON.stringify(changesOf(['Reichstag'])[0]) },
    ]);
    await expect.poll(() => announcements(discord, channelId).length, { timeout: 30_000 }).toBe(1);
  });

  it('does not hold up other channels behind a busy page, and keeps each channel in order', async () => {
    // Watches stored directly: this test is about delivery, in channels of another server.
    const busy = snowflake();
    const others = Array.from({ length: 4 }, () => snowflake());
    await addWatch(store, {
      channel_id: busy,
      wiki: 'dewiki',
      title: 'Hauptseite',
      guild_id: 'g',
      created_by: 'u',
    });
    for (const [i, channel] of others.entries()) {
      await addWatch(store, {
        channel_id: channel,
        wiki: 'dewiki',
        title: `Seite ${i}`,
        guild_id: 'g',
        created_by: 'u',
      });
    }
    await notifier(slowDiscord);
    // Five changes of the busy page first: sent one after another, 250 ms each, they would
    // keep the other channels waiting more than a second.
    const events = changesOf([
      ...Array.from({ length: 5 }, () => 'Hauptseite'),
      ...others.map((_, i) => `Seite ${i}`),
    ]);
    await producer.send(
      eventsTopic,
      events.map((event) => ({ key: 'de', value: JSON.stringify(event) })),
    );
    await expect.poll(() => announcements(slowDiscord, busy).length, { timeout: 30_000 }).toBe(5);
    const busyTimes = announcements(slowDiscord, busy).map((r) => r.at);
    for (const channel of others) {
      const [only] = announcements(slowDiscord, channel);
      expect(only).toBeDefined();
      // Delivered alongside the busy page's first message, not after its last.
      expect(only!.at).toBeLessThan(busyTimes[2]!);
    }
    // The busy channel's messages arrive in the order of the changes.
    const order = announcements(slowDiscord, busy).map((r) => JSON.stringify(r.body['embeds']));
    const expected = events.slice(0, 5).map((e) => (e['meta'] as { dt: string }).dt.slice(11, 19));
    expect(order.map((embed) => expected.findIndex((time) => embed.includes(time)))).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });
});
