import { REST, type Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from '@wikipulse/kafka';
import { spikeAlertsSince, trendingPages, writeFeed } from '@wikipulse/store';
import { takeFreshEvents } from '@wikipulse/testing';
import {
  DiscordDouble,
  PERMISSIONS,
  user,
  type DoubleGuild,
  type DoubleOption,
  type DoubleUser,
  type SentRecord,
} from '@wikipulse/testing/discord';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { runConsoleLine } from '../console.js';
import { startGateway } from '../discord/gateway.js';
import { createProcessor } from '../discord/processor.js';
import { DiscordResponder } from '../discord/responder.js';
import type { DiscordMessage } from '../reply/discord.js';
import {
  commandService,
  eventsFor,
  insertEvents,
  migrated,
  silentLog,
  templatesFor,
} from '../test/helpers.js';
import { startFeeds, type Feeds } from './index.js';

const TOKEN = 'test-token-feeds';
const WINDOW_MS = 1500;
const bus = testBus('wikipulse-feeds-test');
const eventsTopic = uniqueName('feed_events');
const deliveriesTopic = uniqueName('feed_deliveries');
const matchGroup = uniqueName('feed_match');
const deliveryGroup = uniqueName('feed_delivery');
let ch: TestClickHouse;
let discord: DiscordDouble;
let gateway: Client;
let guild: DoubleGuild;
let producer: Producer;
const moderator = user('moderator');
const member = user('member');
let modRole: string;
const service = () =>
  commandService(
    { client: ch.client, database: ch.database },
    { feedLimits: { perChannel: 3, perServer: 5 } },
  );

/** Messages posted by each worker's responder, by channel: who delivered what. */
class CountingResponder extends DiscordResponder {
  readonly sent: string[] = [];
  override async send(channelId: string, message: DiscordMessage, nonce: string, replyTo?: string) {
    await super.send(channelId, message, nonce, replyTo);
    this.sent.push(channelId);
  }
}

interface Worker {
  feeds: Feeds;
  responder: CountingResponder;
}

async function startWorker(): Promise<Worker> {
  const responder = new CountingResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
  const feeds = await startFeeds({
    bus,
    store: { client: ch.client, database: ch.database },
    responder,
    eventsTopic,
    deliveriesTopic,
    deliveriesPartitions: 4,
    matchGroupId: matchGroup,
    deliveryGroupId: deliveryGroup,
    windowMs: WINDOW_MS,
    refreshMs: 300,
    webUrl: 'http://127.0.0.1:8080/',
    spikeCheckMs: 500,
    tickMs: 200,
    log: silentLog,
  });
  const started = { feeds, responder };
  workers.push(started);
  return started;
}

async function stableGroups(members: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const groups = await Promise.all([
      bus.describeGroup(matchGroup),
      bus.describeGroup(deliveryGroup),
    ]);
    if (groups.every((g) => g.state === 'Stable' && g.members === members)) return;
    if (Date.now() > deadline)
      throw new Error(`the feed groups did not settle with ${members} members`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A prefix command in a channel; resolves with the reply's text. */
async function say(
  author: DoubleUser,
  content: string,
  channelId = guild.channelIds[0]!,
): Promise<string> {
  const id = discord.sendMessage({
    guild,
    channelId,
    author,
    content,
    ...(author === moderator ? { roleIds: [modRole] } : {}),
  });
  const reply = await discord.waitFor(
    (r) => (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
    20_000,
  );
  return textOf(reply);
}

/** A slash command (`/feed <sub> …`); resolves with the edited deferred reply's text. */
async function slash(
  author: DoubleUser,
  sub: string,
  options: DoubleOption[] = [],
  channelId = guild.channelIds[0]!,
): Promise<string> {
  const { token } = discord.sendInteraction({
    guild,
    channelId,
    user: author,
    command: 'feed',
    options: [{ name: sub, type: 1, options }],
    ...(author === moderator ? { roleIds: [modRole] } : {}),
  });
  return textOf(
    await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token, 20_000),
  );
}

function textOf(record: SentRecord): string {
  const embeds =
    (record.body['embeds'] as { title?: string; description?: string }[] | undefined) ?? [];
  return [
    typeof record.body['content'] === 'string' ? record.body['content'] : '',
    ...embeds.map((e) => `${e.title ?? ''}\n${e.description ?? ''}`),
  ].join('\n');
}

function feedIdIn(reply: string): string {
  const id = /Feed `([a-z0-9]{8})` added/.exec(reply)?.[1];
  if (id === undefined) throw new Error(`no feed added: ${reply}`);
  return id;
}

/** Feed messages posted in a channel (not replies to commands). */
function deliveries(channelId: string): SentRecord[] {
  return discord.sent.filter(
    (r) =>
      r.kind === 'channel_message' &&
      r.target === channelId &&
      r.body['message_reference'] === undefined,
  );
}

/** Fresh German edits in the main namespace, by a named user, with the given titles. */
function edits(titles: readonly string[], fields: Record<string, unknown> = {}): string[] {
  return takeFreshEvents(titles.length, {
    templates: templatesFor('de'),
    startMs: Date.now() - 1000,
  }).map((event, i) =>
    JSON.stringify({
      ...event,
      type: 'edit',
      namespace: 0,
      bot: false,
      user: 'Example',
      length: { old: 100, new: 900 },
      title: titles[i],
      ...fields,
    }),
  );
}

async function produce(values: readonly string[]): Promise<void> {
  await producer.send(
    eventsTopic,
    values.map((value) => ({ value })),
  );
}

/** Waits until the current window has just begun, so a burst lands in one window. */
async function startOfWindow(): Promise<void> {
  const into = Date.now() % WINDOW_MS;
  if (into > 200) await new Promise((resolve) => setTimeout(resolve, WINDOW_MS - into + 50));
}

/** Every change a channel's feed messages account for: listed titles and the "+N more" counts. */
function delivered(channelId: string): { titles: string[]; more: number; messages: number } {
  const messages = deliveries(channelId).map(textOf);
  const titles = messages.flatMap((text) =>
    [...text.matchAll(/\[([^\]]+?)\]\(<https:\/\/de\.wikipedia/g)].map((m) => m[1]!),
  );
  const more = messages.reduce((sum, text) => sum + Number(/\+(\d+) more/.exec(text)?.[1] ?? 0), 0);
  return { titles, more, messages: messages.length };
}

const workers: Worker[] = [];

beforeAll(async () => {
  ch = await openTestClickHouse();
  await migrated({ client: ch.client, database: ch.database });
  await bus.ensureTopics([{ topic: eventsTopic, partitions: 2 }]);
  discord = await new DiscordDouble({ token: TOKEN }).start();
  guild = discord.addGuild({
    ownerId: user('owner').id,
    channels: 6,
    roles: {
      mods: PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.MANAGE_CHANNELS,
    },
  });
  modRole = guild.roleIds['mods']!;
  producer = await bus.producer();
  const responder = new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
  const process = createProcessor({ service: service(), responder, log: silentLog });
  gateway = await startGateway({
    token: TOKEN,
    apiUrl: discord.apiUrl,
    prefix: '!',
    prefixCommands: true,
    log: silentLog,
    submit: async (request) => {
      await process(request);
    },
  });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.feeds.close()));
  await gateway.destroy();
  await producer.close();
  await discord.close();
  await ch.close();
});

describe('!feed and /feed', () => {
  it('refuse bad input and missing permissions, saying exactly what is wrong', async () => {
    expect(await say(member, '!feed add lang:de')).toMatch(/needs the Manage Channels permission/);
    expect(await slash(member, 'add', [{ name: 'lang', type: 3, value: 'de' }])).toMatch(
      /needs the Manage Channels permission/,
    );
    expect(await say(moderator, '!feed add colour:red')).toMatch(/`colour:red` is not a filter/);
    expect(await say(moderator, '!feed add lang:xx')).toMatch(/unknown language code/);
    expect(await say(moderator, '!feed add size:-3')).toMatch(
      /size takes the smallest absolute size change/,
    );
    expect(await say(moderator, '!feed add title:*a*b*c*d*e*f')).toMatch(/more than 5 `\*`/);
    expect(await say(moderator, '!feed add spikes de 1')).toMatch(/from 2 to 100/);
    expect(await say(moderator, '!feed spikes xx')).toMatch(/`xx` is not a language code/);
    expect(await say(moderator, '!feed frobnicate')).toMatch(/Unknown subcommand/);
    expect(await say(moderator, '!feed remove')).toMatch(/Which feed\?/);
    expect(await say(moderator, '!feed pause nosuchid')).toMatch(
      /This channel has no feed `nosuchid`/,
    );
    expect(
      await slash(moderator, 'add', [{ name: 'type', type: 3, value: 'edit,vandalism' }]),
    ).toMatch(/`vandalism` is not a change type/);
    expect(
      await slash(moderator, 'add', [
        { name: 'lang', type: 3, value: 'de' },
        { name: 'wiki', type: 3, value: 'dewiki' },
      ]),
    ).toMatch(/either lang: or wiki:/);
    expect(await slash(moderator, 'resume', [{ name: 'id', type: 3, value: 'nosuchid' }])).toMatch(
      /no feed `nosuchid`/,
    );
    expect(await say(member, '!feed list')).toMatch(/This channel has no feeds/);
  });

  it('add, list, pause, resume and remove feeds, within the channel and server limits', async () => {
    const channel = guild.channelIds[5]!;
    const first = feedIdIn(
      await say(moderator, '!feed add lang:de ns:0 bots:hide title:Berlin*', channel),
    );
    const { token } = discord.sendInteraction({
      guild,
      channelId: channel,
      user: moderator,
      roleIds: [modRole],
      command: 'feed',
      options: [
        {
          name: 'add',
          type: 1,
          options: [
            { name: 'wiki', type: 3, value: 'enwiki' },
            { name: 'user', type: 3, value: 'Jimbo Wales' },
            { name: 'size', type: 4, value: 500 },
          ],
        },
      ],
    });
    const second = feedIdIn(
      textOf(await discord.waitFor((r) => r.kind === 'original_edit' && r.target === token)),
    );
    const third = feedIdIn(await say(moderator, '!feed add spikes fr 4', channel));
    expect(await say(moderator, '!feed add type:new', channel)).toMatch(
      /already has 3 feeds, the most it can have \(3\)/,
    );
    let list = await say(member, '!feed list', channel);
    expect(list).toContain('Feeds in this channel (3/3)');
    expect(list).toContain(`\`${first}\` · lang:de ns:0 bots:hide title:Berlin\\* · running`);
    expect(list).toContain(`\`${second}\` · wiki:enwiki size:500 user:Jimbo\\_Wales · running`);
    expect(list).toContain(`\`${third}\` · spikes lang:fr ×4 · running`);
    expect(await say(moderator, `!feed pause ${first}`, channel)).toMatch(/Paused feed/);
    expect(await say(moderator, `!feed pause ${first}`, channel)).toMatch(/already paused/);
    expect(await say(member, '!feed list', channel)).toContain(
      `\`${first}\` · lang:de ns:0 bots:hide title:Berlin\\* · paused`,
    );
    expect(await slash(moderator, 'resume', [{ name: 'id', type: 3, value: first }])).toMatch(
      /no feed/,
    );
    expect(await say(moderator, `!feed resume ${first}`, channel)).toMatch(/Resumed feed/);
    expect(await say(moderator, `!feed remove ${second}`, channel)).toMatch(/Removed feed/);
    expect(await say(moderator, `!feed remove ${third}`, channel)).toMatch(/Removed feed/);
    list = await say(member, '!feed list', channel);
    expect(list).toContain('(1/3)');
    expect(list).not.toContain(second);
    // The server's limit (5) counts every channel's feeds.
    for (const c of guild.channelIds.slice(1, 5)) {
      feedIdIn(await say(moderator, '!feed add lang:sv', c));
    }
    expect(await say(moderator, '!feed add lang:sv', channel)).toMatch(
      /This server already has 5 feeds/,
    );
    for (const c of guild.channelIds.slice(1, 5)) {
      const id = /`([a-z0-9]{8})`/.exec(await say(member, '!feed list', c))![1]!;
      expect(await say(moderator, `!feed remove ${id}`, c)).toMatch(/Removed/);
    }
    expect(await say(moderator, `!feed remove ${first}`, channel)).toMatch(/Removed/);
  });

  it('suggests languages and wikis while the user types', async () => {
    const { id } = discord.sendInteraction({
      guild,
      user: moderator,
      command: 'feed',
      type: 4,
      options: [
        {
          name: 'add',
          type: 1,
          options: [{ name: 'wiki', type: 3, value: 'dewik', focused: true }],
        },
      ],
    });
    const answer = await discord.waitFor(
      (r) => r.kind === 'interaction_callback' && r.target === id,
    );
    expect(answer.body['type']).toBe(8);
    const choices = (answer.body['data'] as { choices: { name: string }[] }).choices.map(
      (c) => c.name,
    );
    expect(choices).toEqual(expect.arrayContaining(['dewiki', 'dewiktionary']));
  });

  it('answer on the console, where there is no channel to post in', async () => {
    const handled = await runConsoleLine(service(), 'feed add lang:de');
    expect(
      handled?.reply.lines
        .flat()
        .map((s) => (typeof s === 'string' ? s : s.text))
        .join(''),
    ).toMatch(/Feeds post in a Discord server channel/);
  });
});

describe('feed delivery', () => {
  it('delivers the matching changes of a replay and nothing else, ten listed and the rest as +N more', async () => {
    await startWorker();
    await stableGroups(1);
    const channel = guild.channelIds[0]!;
    const id = feedIdIn(
      await say(moderator, '!feed add lang:de ns:0 bots:hide title:Berlin*', channel),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const wanted = Array.from({ length: 14 }, (_, i) => `Berlin ${i}`);
    await startOfWindow();
    await produce([
      ...edits(wanted),
      ...edits(['Paris 1', 'Hamburg']),
      ...edits(['Berlin bot'], { bot: true }),
      ...edits(['Berlin talk'], { namespace: 1 }),
    ]);
    const message = await discord.waitFor((r) => deliveries(channel).includes(r), 20_000);
    const text = textOf(message);
    expect(text).toContain(`Feed ${id} · lang:de ns:0 bots:hide title:Berlin*`);
    expect(text).toContain('+4 more');
    expect(text).toContain(
      `(<http://127.0.0.1:8080/?lang=de&ns=0&bots=hide&title=Berlin*&feed=${id}>)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS));
    const got = delivered(channel);
    expect(got.messages).toBe(1);
    expect(got.titles).toHaveLength(10);
    expect(got.titles.every((t) => wanted.includes(t))).toBe(true);
    expect(new Set(got.titles).size).toBe(10);
    expect(got.more).toBe(4);
  });

  it('pauses the feeds of a channel Discord answers 403 or 404 for, and says so in !feed list', async () => {
    const [forbidden, gone] = [guild.channelIds[1]!, guild.channelIds[2]!];
    const a = feedIdIn(await say(moderator, '!feed add lang:de title:Rom', forbidden));
    const b = feedIdIn(await say(moderator, '!feed add lang:de title:Rom', gone));
    discord.refuseChannel(forbidden, 403);
    discord.refuseChannel(gone, 404);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await produce(edits(['Rom']));
    const deadline = Date.now() + 20_000;
    let lists: string[] = [];
    while (Date.now() < deadline) {
      // The refused channels cannot take a reply to a prefix command either: slash replies go
      // through the interaction's webhook.
      lists = await Promise.all([forbidden, gone].map((c) => slash(member, 'list', [], c)));
      if (lists.every((l) => !l.includes('running'))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(lists[0]).toContain(
      `\`${a}\` · lang:de title:Rom · paused: the bot may not post in this channel (Discord answered 403)`,
    );
    expect(lists[1]).toContain(
      `\`${b}\` · lang:de title:Rom · paused: the channel was not found (Discord answered 404)`,
    );
    expect(deliveries(forbidden)).toEqual([]);

    // Access given back, resuming one feed resumes the channel: its feeds are delivered again.
    discord.refuseChannel(forbidden, null);
    expect(await slash(moderator, 'resume', [{ name: 'id', type: 3, value: a }], forbidden)).toBe(
      `Resumed feed \`${a}\`: its changes will be posted here again.`,
    );
    expect(await slash(member, 'list', [], forbidden)).toContain(
      `\`${a}\` · lang:de title:Rom · running`,
    );
    // The other channel, refused still, stays paused.
    expect(await slash(member, 'list', [], gone)).toContain('paused: the channel was not found');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await produce(edits(['Rom']));
    await discord.waitFor((r) => deliveries(forbidden).includes(r), 20_000);
    expect(deliveries(forbidden)).toHaveLength(1);
    // Removed, so that reading every window again (below) meets no window refused at the time.
    expect(await say(moderator, `!feed remove ${a}`, forbidden)).toMatch(/Removed/);
  });

  it('posts a spike of a page once, not again while it does not keep rising', async () => {
    const channel = guild.channelIds[3]!;
    // Five edits by three people in the last minutes, on a page not edited before.
    const now = Date.now();
    const burst = eventsFor('de', 5, now - 5 * 60_000, 30_000).map((e, i) => ({
      ...e,
      type: 'edit',
      title: 'Plötzlich berühmt',
      user: `Editor ${i % 3}`,
    }));
    await insertEvents({ client: ch.client, database: ch.database }, burst);
    const id = feedIdIn(await say(moderator, '!feed add spikes de 2', channel));
    const alert = await discord.waitFor((r) => deliveries(channel).includes(r), 20_000);
    expect(textOf(alert)).toContain(`Spikes · feed ${id} · spikes lang:de ×2`);
    expect(textOf(alert)).toContain('Plötzlich berühmt');
    expect(textOf(alert)).toContain('5 edits by 3 editors');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(deliveries(channel)).toHaveLength(1);

    // The alert is kept in the store, not in the memory of the worker that posted it.
    const store = { client: ch.client, database: ch.database };
    const recorded = await spikeAlertsSince(store, [id], new Date(now - 60 * 60_000));
    expect(recorded.map((a) => [a.title, a.edits])).toEqual([['Plötzlich berühmt', 5]]);
    // A worker that never posted it takes the feed over while the page still trends: it does
    // not post it again.
    for (const stopped of workers.splice(0, workers.length)) await stopped.feeds.close();
    await startWorker();
    await stableGroups(1);
    const trending = await trendingPages(store, { language: 'de', now: new Date(), limit: 25 });
    expect(trending.find((r) => r.title === 'Plötzlich berühmt')?.surge).toBeGreaterThan(2);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(deliveries(channel)).toHaveLength(1);
    expect(await say(moderator, `!feed remove ${id}`, channel)).toMatch(/Removed/);
  });

  it('moves feeds between two workers as one stops, losing and doubling nothing', async () => {
    const a = workers[0]!;
    const b = await startWorker();
    await stableGroups(2);
    const channel = guild.channelIds[4]!;
    // Feeds of several users, so that both workers hold some of the deliveries partitions.
    const users = Array.from({ length: 8 }, (_, i) => `Mover ${i}`);
    for (const [i, name] of users.entries()) {
      await writeFeed(
        { client: ch.client, database: ch.database },
        {
          feed_id: `mover00${i}`,
          channel_id: channel,
          guild_id: guild.id,
          created_by: moderator.id,
          kind: 'changes',
          filter: JSON.stringify({ kind: 'changes', language: 'de', user: name }),
          state: 'active',
          reason: '',
          created_at: '2026-12-06 10:00:00.000',
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sentBefore = [a, b].map((w) => w.responder.sent.length);
    const rounds = 3;
    for (let round = 0; round < rounds; round += 1) {
      await produce(users.flatMap((name) => edits([`${name} round ${round}`], { user: name })));
      if (round === 0) {
        await new Promise((resolve) => setTimeout(resolve, 3 * WINDOW_MS));
        // One worker stops; the other takes over its partitions from their last commit.
        await a.feeds.close();
        workers.splice(0, 1);
      }
    }
    const expected = users.length * rounds;
    const deadline = Date.now() + 40_000;
    while (delivered(channel).titles.length < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS));
    const titles = delivered(channel).titles.sort();
    expect(titles).toEqual(
      users
        .flatMap((name) => Array.from({ length: rounds }, (_, r) => `${name} round ${r}`))
        .sort(),
    );
    expect(a.responder.sent.length).toBeGreaterThan(sentBefore[0]!);
    expect(b.responder.sent.length).toBeGreaterThan(sentBefore[1]!);
  });

  it('posts nothing twice when every window is read again from the start, as after a crash', async () => {
    const b = workers.splice(0, 1)[0]!;
    await b.feeds.close();
    const posted = discord.sent.filter((r) => r.kind === 'channel_message').length;
    const committed = await bus.committedOffsets(deliveryGroup, deliveriesTopic);
    // Forget every commit: a worker that crashed before committing anything would leave this.
    await bus.setCommittedOffsets(
      deliveryGroup,
      deliveriesTopic,
      new Map([...committed.keys()].map((partition) => [partition, '0'])),
    );
    const c = await startWorker();
    const deadline = Date.now() + 40_000;
    for (;;) {
      const now = await bus.committedOffsets(deliveryGroup, deliveriesTopic);
      if ([...committed].every(([p, offset]) => BigInt(now.get(p) ?? '-1') >= BigInt(offset))) {
        break;
      }
      if (Date.now() > deadline) throw new Error('the new worker did not read the windows again');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // It sent every window again, with the same nonces, and Discord kept the first messages.
    expect(c.responder.sent.length).toBeGreaterThan(0);
    expect(discord.sent.filter((r) => r.kind === 'channel_message')).toHaveLength(posted);
  });
});
