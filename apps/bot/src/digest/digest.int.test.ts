import { REST, type Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { channelPause, dailyStats, type Store } from '@wikipulse/store';
import {
  DiscordDouble,
  PERMISSIONS,
  user,
  type DoubleGuild,
  type DoubleOption,
  type SentRecord,
} from '@wikipulse/testing/discord';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { DiscordResponder } from '../discord/responder.js';
import {
  commandService,
  eventsFor,
  insertEvents,
  migrated,
  silentLog,
  standaloneBot,
} from '../test/helpers.js';
import { startDigestScheduler, type DigestScheduler } from '../worker/digests.js';

/**
 * `!digest` and `/digest` end to end: the real discord.js client against the Discord double,
 * the embedded ClickHouse engine, and a clock the test moves. The digest reports 2026-11-20.
 */
const TOKEN = 'test-token-digest';
const DAY = '2026-11-20';
const at = (time: string, day = '2026-11-21') => new Date(`${day}T${time}Z`);
let now = at('07:00:00');
const clock = () => now;
let ch: TestClickHouse;
let store: Store;
let discord: DiscordDouble;
let client: Client;
let guild: DoubleGuild;
let german: RecentChange[];
const owner = user('owner');
const reader = user('reader');
const moderator = user('moderator');
const people = { reader, moderator };
let moderatorRoles: string[];
const schedulers: DigestScheduler[] = [];

/** A worker's digest scheduler on the test's clock; the test calls its ticks itself. */
function scheduler(worker: string): DigestScheduler {
  const started = startDigestScheduler({
    store,
    responder: responder(),
    log: silentLog,
    tickMs: 3_600_000,
    worker,
    clock,
  });
  schedulers.push(started);
  return started;
}

/** Messages posted in a channel on the bot's own initiative (not replies to a command). */
function postedIn(channelId: string): SentRecord[] {
  return discord.sent.filter(
    (r) =>
      r.kind === 'channel_message' &&
      r.target === channelId &&
      r.body['message_reference'] === undefined,
  );
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = { client: ch.client, database: ch.database };
  await migrated(store);
  const dayStart = Date.parse(`${DAY}T00:00:00Z`);
  // Two German changes an hour all day, a burst at 14:00, French ones, and a quieter day before.
  german = [
    ...eventsFor('de', 48, dayStart + 10 * 60_000, 30 * 60_000),
    ...eventsFor('de', 12, dayStart + 14 * 3_600_000 + 60_000, 1000),
  ];
  await insertEvents(store, [
    ...german,
    ...eventsFor('fr', 20, dayStart + 3_600_000, 60_000),
    ...eventsFor('de', 30, dayStart - 86_400_000 + 60_000, 60_000),
    // The next day has French changes only.
    ...eventsFor('fr', 10, dayStart + 86_400_000 + 60_000, 60_000),
  ]);
  // A redelivered batch: copies must not be counted twice.
  await insertEvents(store, german.slice(0, 5));

  discord = await new DiscordDouble({ token: TOKEN }).start();
  guild = discord.addGuild({
    ownerId: owner.id,
    channels: 4,
    roles: { moderator: PERMISSIONS.MANAGE_CHANNELS },
  });
  moderatorRoles = [guild.roleIds['moderator']!];
  client = await standaloneBot({
    apiUrl: discord.apiUrl,
    token: TOKEN,
    service: commandService(store, { clock }),
  });
});

afterAll(async () => {
  for (const scheduler of schedulers) await scheduler.close();
  await client.destroy();
  await discord.close();
  await ch.close();
});

function responder(): DiscordResponder {
  return new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN));
}

function say(author: typeof reader, content: string, channel = 0): Promise<SentRecord> {
  const id = discord.sendMessage({
    guild,
    channelId: guild.channelIds[channel]!,
    author,
    content,
    roleIds: author === moderator ? moderatorRoles : [],
  });
  return discord.waitFor(
    (r) => (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id === id,
  );
}

function slash(author: typeof reader, sub: string, options: DoubleOption[] = [], channel = 0) {
  const { token } = discord.sendInteraction({
    guild,
    channelId: guild.channelIds[channel]!,
    user: author,
    command: 'digest',
    options: [{ name: sub, type: 1, options }],
    roleIds: author === moderator ? moderatorRoles : [],
  });
  return discord.waitFor((r) => r.kind === 'original_edit' && r.target === token);
}

const string = (name: string, value: string): DoubleOption => ({ name, type: 3, value });

function text(record: SentRecord): string {
  const embeds = (record.body['embeds'] ?? []) as {
    title?: string;
    description?: string;
    fields?: { name: string; value: string }[];
  }[];
  return [
    typeof record.body['content'] === 'string' ? record.body['content'] : '',
    ...embeds.map((e) =>
      [e.title, e.description, ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`)].join('\n'),
    ),
  ].join('\n');
}

/** A digest message: its embed names the day and the attached chart, which is a PNG. */
function expectDigest(record: SentRecord, day: string, where: string): void {
  const embed = (record.body['embeds'] as { title: string; image?: { url: string } }[])[0]!;
  expect(embed.title).toBe(`Daily digest · ${where} · ${day} (UTC)`);
  expect(record.files).toHaveLength(1);
  const file = record.files![0]!;
  expect(file.name).toMatch(new RegExp(`^digest-${day}-.+\\.png$`));
  expect(file.data.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(embed.image?.url).toBe(`attachment://${file.name}`);
  expect(record.body['attachments']).toEqual([
    expect.objectContaining({ id: 0, filename: file.name }),
  ]);
}

describe('!digest now and /digest now', () => {
  it('posts the previous day’s overview for a language with the chart attached', async () => {
    const reply = await say(reader, '!digest now de');
    expectDigest(reply, DAY, 'de');
    const body = text(reply);
    const stats = await dailyStats(store, { day: DAY, language: 'de' });
    expect(stats.total).toBe(60);
    expect(body).toContain('changes: 60 (+100.0% on the day before)');
    expect(body).toContain(`people / bots: ${stats.humans} / ${stats.bots}`);
    expect(body).toContain('busiest hour: 14:00–15:00 UTC, 14 changes');
    expect(body).toMatch(/Top pages\*\*\n1\. \[/);
    expect(body).toContain('Top editors (people)');
    for (const [type, n] of Object.entries(stats.byType)) expect(body).toContain(`${type} ${n}`);
  });

  it('takes a date and every wiki, and a slash command with typed options', async () => {
    const all = await say(reader, `!digest now ${DAY} all`);
    expectDigest(all, DAY, 'all wikis');
    expect(text(all)).toContain('changes: 80 (');
    const edit = await slash(reader, 'now', [string('date', '2026-11-19'), string('lang', 'de')]);
    expectDigest(edit, '2026-11-19', 'de');
    expect(text(edit)).toContain('changes: 30 (none stored the day before)');
  });

  it('answers a day without changes without a chart', async () => {
    const reply = await say(reader, '!digest now 2026-11-10 fr');
    expect(reply.body['content']).toContain('no changes are stored for fr on 2026-11-10');
    expect(reply.files).toBeUndefined();
  });
});

describe('bad input', () => {
  it.each([
    ['moderator', '!digest at 25:00', '`25:00` is not a time: use `HH:MM` in UTC'],
    ['moderator', '!digest at', 'Give a time as `HH:MM` in UTC'],
    ['moderator', '!digest at 08:00 xx', 'Unknown language code `xx`'],
    ['moderator', '!digest at 08:00 de extra', 'Usage: `!digest at <HH:MM> [lang]'],
    ['reader', '!digest at 08:00 de', 'needs the Manage Channels permission'],
    ['reader', '!digest off', 'needs the Manage Channels permission'],
    ['moderator', '!digest off', 'This channel has no daily digest to stop.'],
    ['reader', '!digest now 2026-02-30', '`2026-02-30` is not a date'],
    ['reader', '!digest now 2027-01-01', 'is in the future'],
    ['reader', '!digest now de fr', 'Usage: '],
    ['reader', '!digest weekly', 'Usage: '],
  ] as const)('%s: %s', async (who, command, expected) => {
    const reply = await say(people[who], command, 1);
    expect(reply.body['content']).toContain(expected);
    expect(reply.files).toBeUndefined();
  });

  it.each([
    ['moderator', 'at', [string('time', '8h')], '`8h` is not a time'],
    ['moderator', 'at', [string('time', '08:00'), string('lang', 'xx')], 'Unknown language code'],
    ['reader', 'at', [string('time', '08:00')], 'needs the Manage Channels permission'],
    ['reader', 'off', [], 'needs the Manage Channels permission'],
    ['reader', 'now', [string('date', 'someday')], '`someday` is not a date'],
    ['reader', 'now', [string('lang', 'klingon')], 'Unknown language code'],
  ] as const)('%s: /digest %s %j', async (who, sub, options, expected) => {
    const edit = await slash(people[who], sub, [...options]);
    expect(edit.body['content']).toContain(expected);
  });
});

describe('the daily schedule', () => {
  it('posts a digest exactly once at its time, with two workers and a restart', async () => {
    const channelId = guild.channelIds[2]!;
    now = at('07:00:00');
    const set = await say(moderator, '!digest at 08:00 de', 2);
    expect(set.body['content']).toContain('Every day at 08:00 UTC');
    expect((await say(reader, '!digest', 2)).body['content']).toContain('de at 08:00 UTC');
    const digests = () => postedIn(channelId);
    const a = scheduler('a');
    const b = scheduler('b');

    now = at('07:59:30');
    await Promise.all([a.tick(), b.tick()]);
    expect(digests()).toHaveLength(0);

    now = at('08:00:10');
    await Promise.all([a.tick(), b.tick()]);
    expect(digests()).toHaveLength(1);
    expectDigest(digests()[0]!, DAY, 'de');

    // Worker a restarts (a new process, a new name); both look again later that morning.
    await a.close();
    const a2 = scheduler('a2');
    now = at('08:05:00');
    await Promise.all([a2.tick(), b.tick()]);
    now = at('23:59:00');
    await Promise.all([a2.tick(), b.tick()]);
    expect(digests()).toHaveLength(1);

    // The next day brings the next digest, once.
    now = at('08:00:40', '2026-11-22');
    await Promise.all([a2.tick(), b.tick(), b.tick()]);
    expect(digests()).toHaveLength(2);
    expect(digests()[1]!.body['content']).toBe(
      '**Daily digest · de · 2026-11-21 (UTC)**: no changes are stored for de on 2026-11-21.',
    );
  });

  it('starts the morning after when set up past its time, and stops when turned off', async () => {
    const channelId = guild.channelIds[3]!;
    now = at('10:00:00');
    await say(moderator, '!digest at 09:00', 3);
    const s = scheduler('c');
    await s.tick();
    const posted = () => postedIn(channelId);
    expect(posted()).toHaveLength(0);
    now = at('09:00:05', '2026-11-22');
    await s.tick();
    expect(posted()).toHaveLength(1);
    expectDigest(posted()[0]!, '2026-11-21', 'all wikis');

    const off = await slash(moderator, 'off', [], 3);
    expect(off.body['content']).toContain('Stopped the daily digest');
    now = at('09:00:05', '2026-11-23');
    await s.tick();
    expect(posted()).toHaveLength(1);
  });

  it('pauses a channel Discord refuses, says so, and resumes when set up again', async () => {
    const channelId = guild.channelIds[1]!;
    now = at('05:00:00');
    await say(moderator, '!digest at 06:00 fr', 1);
    discord.refuseChannel(channelId, 403);
    const s = scheduler('d');
    now = at('06:00:01');
    await s.tick();
    expect(await channelPause(store, channelId)).toEqual({ channel_id: channelId, status: 403 });

    discord.refuseChannel(channelId, null);
    expect((await say(reader, '!digest', 1)).body['content']).toContain(
      'Paused: Discord refused the last post here (403)',
    );
    await say(moderator, '!digest at 06:00 fr', 1);
    expect(await channelPause(store, channelId)).toBeUndefined();
  });
});
