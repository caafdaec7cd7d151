import { REST, type Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import {
  DiscordDouble,
  INTENTS,
  PERMISSIONS,
  user,
  type DoubleGuild,
  type SentRecord,
} from '@wikipulse/testing/discord';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { pageUrl } from '../core/wiki.js';
import {
  commandService,
  eventsFor,
  insertEvents,
  migrated,
  newestFirst,
  silentLog,
} from '../test/helpers.js';
import { COMMANDS } from '../commands/index.js';
import { startGateway } from './gateway.js';
import { registerCommands } from './register.js';
import { createProcessor } from './processor.js';
import { DiscordResponder } from './responder.js';

const TOKEN = 'test-token-standalone';
let ch: TestClickHouse;
let discord: DiscordDouble;
let client: Client;
let guild: DoubleGuild;
let german: RecentChange[];
const owner = user('owner');

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store = { client: ch.client, database: ch.database };
  await migrated(store);
  const start = Date.UTC(2026, 10, 20, 8, 0, 0);
  german = eventsFor('de', 40, start);
  await insertEvents(store, [...german, ...eventsFor('fr', 20, start + 500)]);
  // A redelivered batch: copies must not show up twice.
  await insertEvents(store, german.slice(-3));

  discord = await new DiscordDouble({ token: TOKEN }).start();
  guild = discord.addGuild({ ownerId: owner.id, roles: { moderator: PERMISSIONS.MANAGE_GUILD } });
  const service = commandService(store, { rateLimit: { burst: 3, refillMs: 60_000 } });
  const responder = new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
  const run = createProcessor({ service, responder, log: silentLog });
  client = await startGateway({
    token: TOKEN,
    apiUrl: discord.apiUrl,
    prefix: '!',
    prefixCommands: true,
    log: silentLog,
    submit: async (request) => {
      await run(request);
    },
  });
});

afterAll(async () => {
  await client.destroy();
  await discord.close();
  await ch.close();
});

function replyTo(messageId: string): Promise<SentRecord> {
  return discord.waitFor(
    (r) =>
      (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id ===
      messageId,
  );
}

function say(
  author: ReturnType<typeof user>,
  content: string,
  roleIds: string[] = [],
): Promise<SentRecord> {
  return replyTo(discord.sendMessage({ guild, author, content, roleIds }));
}

function text(record: SentRecord): string {
  const embeds = (record.body['embeds'] ?? []) as { description?: string; title?: string }[];
  return [
    typeof record.body['content'] === 'string' ? record.body['content'] : '',
    ...embeds.map((e) => `${e.title ?? ''}\n${e.description ?? ''}`),
  ].join('\n');
}

function expectNewestFive(description: string): void {
  const lines = description.split('\n');
  expect(lines).toHaveLength(5);
  newestFirst(german)
    .slice(0, 5)
    .forEach((event, i) => {
      expect(lines[i]).toContain(`\`${event.meta.dt.slice(11, 19)}\``);
      expect(lines[i]).toContain(
        pageUrl('https://de.wikipedia.org', event.title!).replace(
          /[()]/g,
          (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
        ),
      );
      expect(lines[i]).toContain('**dewiki**');
    });
}

describe('the bot through discord.js against the Discord double', () => {
  it('logs in through the gateway with one identified session', () => {
    expect(client.isReady()).toBe(true);
    expect(discord.sessions).toEqual([[0, 1]]);
  });

  it('answers `!recent 5 de` with the five newest German changes, once each, mentioning nobody', async () => {
    const reply = await say(user('reader'), '!recent 5 de');
    const embeds = reply.body['embeds'] as { title: string; description: string }[];
    expect(embeds).toHaveLength(1);
    expect(embeds[0]!.title).toBe('Latest 5 changes · de');
    expectNewestFive(embeds[0]!.description);
    expect(reply.body['allowed_mentions']).toEqual({ parse: [] });
  });

  it('answers the slash twin `/recent` by editing the deferred reply', async () => {
    const { token } = discord.sendInteraction({
      guild,
      user: user('slasher'),
      command: 'recent',
      options: [
        { name: 'lang', type: 3, value: 'de' },
        { name: 'limit', type: 4, value: 5 },
      ],
    });
    const edit = await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token);
    const deferred = discord.sent.find((r) => r.kind === 'interaction_callback');
    expect(deferred?.body['type']).toBe(5);
    expectNewestFive((edit.body['embeds'] as { description: string }[])[0]!.description);
  });

  it('lets only members with Manage Server set the server language', async () => {
    const member = user('member');
    const denied = await say(member, '!setLang server fr');
    expect(text(denied)).toContain('Manage Server');

    const moderator = user('moderator');
    const allowed = await say(moderator, '!setLang server fr', [guild.roleIds['moderator']!]);
    expect(text(allowed)).toContain('server’s default language is now `fr`');

    const shown = await say(member, '!setLang');
    expect(text(shown)).toContain('Language: `fr` (from this server’s setting)');

    const ownerReply = await say(owner, '!setLang server de');
    expect(text(ownerReply)).toContain('now `de`');

    const { token } = discord.sendInteraction({
      guild,
      user: member,
      command: 'setlang',
      options: [
        { name: 'code', type: 3, value: 'it' },
        { name: 'scope', type: 3, value: 'server' },
      ],
    });
    const edit = await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token);
    expect(text(edit)).toContain('Manage Server');
  });

  it('rate-limits a user politely, once, and keeps answering others', async () => {
    const flooder = user('flooder');
    const ids = Array.from({ length: 6 }, () =>
      discord.sendMessage({ guild, author: flooder, content: '!ping' }),
    );
    await replyTo(ids[3]!);
    const other = await say(user('calm'), '!ping');
    expect(text(other)).toContain('Pong');
    const counts = ids.map((id) => discord.repliesTo(id).length);
    expect(counts).toEqual([1, 1, 1, 1, 0, 0]);
    expect(text(discord.repliesTo(ids[3]!)[0]!)).toContain('a little fast');
  });

  it('answers every deferred slash command, even rate-limited ones', async () => {
    const flooder = user('slashflooder');
    const tokens = Array.from(
      { length: 5 },
      () => discord.sendInteraction({ guild, user: flooder, command: 'ping' }).token,
    );
    const edits = await Promise.all(
      tokens.map((token) =>
        discord.waitFor((r) => r.kind === 'original_edit' && r.target === token),
      ),
    );
    expect(edits.map((e) => text(e).startsWith('Pong'))).toEqual([true, true, true, false, false]);
  });

  it('answers bad input with short help and ignores ordinary chat and other bots', async () => {
    expect(text(await say(user('a'), '!recent 500'))).toContain('from 1 to 100');
    expect(text(await say(user('b'), '!stats 2999-01-01'))).toContain('in the future');
    expect(text(await say(user('c'), '!recent dee'))).toContain('Did you mean `de`');
    expect(text(await say(user('d'), '!nope @everyone'))).toContain('Unknown command');
    const mention = await say(user('e'), '!watch <@123> @everyone');
    const someone = user('someone');
    expect(mention.body['allowed_mentions']).toEqual({ parse: [] });
    const before = discord.sent.length;
    const chat = discord.sendMessage({ guild, author: someone, content: 'hello there' });
    const bot = discord.sendMessage({
      guild,
      author: { ...user('otherbot'), bot: true },
      content: '!ping',
    });
    await say(someone, '!ping');
    expect(discord.repliesTo(chat)).toHaveLength(0);
    expect(discord.repliesTo(bot)).toHaveLength(0);
    expect(discord.sent.length).toBe(before + 1);
  });

  it('reads slash options as typed values, with the same help for bad ones', async () => {
    let asked = 0;
    // One user per command: the rate limit (3 a minute here) is not under test.
    const slash = async (
      command: string,
      options: { name: string; type: number; value: string | number }[],
      by?: ReturnType<typeof user>,
    ) => {
      asked += 1;
      const { token } = discord.sendInteraction({
        guild,
        user: by ?? user(`typed${asked}`),
        command,
        options,
      });
      return text(await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token));
    };
    expect(await slash('recent', [{ name: 'lang', type: 3, value: 'dee' }])).toContain(
      'Did you mean `de`',
    );
    expect(await slash('stats', [{ name: 'date', type: 3, value: '2999-01-01' }])).toContain(
      'in the future',
    );
    expect(
      await slash('recent', [
        { name: 'lang', type: 3, value: 'de' },
        { name: 'offset', type: 4, value: 38 },
      ]),
    ).toContain('Latest 2 changes · de · after 38');
    expect(await slash('help', [{ name: 'command', type: 3, value: 'top' }])).toContain(
      '`!top [lang] [yyyy-mm-dd]`',
    );
    // A title with spaces and a colon stays one value: it is never split into words.
    expect(await slash('watch', [{ name: 'page', type: 3, value: 'de:Berliner Mauer' }])).toContain(
      'Watching',
    );
    // Someone else's watch: only a member with Manage Channels (the owner has every permission).
    expect(
      await slash('unwatch', [{ name: 'page', type: 3, value: 'de:Berliner Mauer' }]),
    ).toContain('removing it needs the Manage Channels permission');
    expect(
      await slash('unwatch', [{ name: 'page', type: 3, value: 'de:Berliner Mauer' }], owner),
    ).toContain('Stopped watching');
  });

  it('shows a page that suddenly draws edits in !trending and its slash twin', async () => {
    const store = { client: ch.client, database: ch.database };
    const burst = eventsFor('de', 6, Date.now() - 5 * 60_000, 20_000).map((event, i) => ({
      ...event,
      type: 'edit',
      title: 'Orkan Zeynep',
      user: `editor${i % 3}`,
    }));
    await insertEvents(store, burst);
    const reply = text(await say(user('trendy'), '!trending de'));
    expect(reply).toContain('Trending in the last 15 minutes · de');
    expect(reply).toContain('Orkan Zeynep');
    expect(reply).toContain('6 edits by 3 editors');
    const { token } = discord.sendInteraction({
      guild,
      user: user('trendy2'),
      command: 'trending',
      options: [{ name: 'lang', type: 3, value: 'fr' }],
    });
    const edit = await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token);
    expect(text(edit)).toContain('Nothing is trending in `fr`');
  });

  it('asks for the Message Content intent only while prefix commands are on', () => {
    const [intents] = discord.sessionIntents;
    expect(intents! & INTENTS.messageContent).toBe(INTENTS.messageContent);
  });

  it('registers every command’s slash definition in one bulk overwrite', async () => {
    const rest = new REST({ api: discord.apiUrl }).setToken(TOKEN);
    const commands = COMMANDS;
    const names = await registerCommands(rest, commands, discord.applicationId, guild.id);
    expect(names.sort()).toEqual([
      'digest',
      'feed',
      'help',
      'ping',
      'recent',
      'setlang',
      'stats',
      'top',
      'trending',
      'unwatch',
      'watch',
    ]);
    const saved = discord.registeredCommands.get(guild.id) as {
      name: string;
      options?: unknown[];
    }[];
    expect(saved.find((c) => c.name === 'recent')?.options).toHaveLength(3);
    const feed = saved.find((c) => c.name === 'feed')?.options as { name: string }[];
    expect(feed.map((o) => o.name)).toEqual(['add', 'spikes', 'list', 'remove', 'pause', 'resume']);
  });
});

describe('a slash-only bot (BOT_PREFIX_COMMANDS=false)', () => {
  it('identifies without the privileged intent, ignores prefix text and answers slash commands', async () => {
    const double = await new DiscordDouble({ token: TOKEN }).start();
    const onlyGuild = double.addGuild({ ownerId: owner.id });
    const store = { client: ch.client, database: ch.database };
    const service = commandService(store);
    const responder = new DiscordResponder(new REST({ api: double.apiUrl }).setToken(TOKEN));
    const run = createProcessor({ service, responder, log: silentLog });
    const slashOnly = await startGateway({
      token: TOKEN,
      apiUrl: double.apiUrl,
      prefix: '!',
      prefixCommands: false,
      log: silentLog,
      submit: async (request) => {
        await run(request);
      },
    });
    try {
      expect(double.sessionIntents).toHaveLength(1);
      expect(double.sessionIntents[0]! & INTENTS.messageContent).toBe(0);
      expect(double.sessionIntents[0]! & INTENTS.guildMessages).toBe(0);
      const ignored = double.sendMessage({ guild: onlyGuild, author: user('x'), content: '!ping' });
      const { token } = double.sendInteraction({
        guild: onlyGuild,
        user: user('x'),
        command: 'ping',
      });
      const edit = await double.waitFor((r) => r.kind === 'original_edit' && r.target === token);
      expect(text(edit)).toContain('Pong');
      expect(double.repliesTo(ignored)).toHaveLength(0);
    } finally {
      await slashOnly.destroy();
      await double.close();
    }
  });
});
