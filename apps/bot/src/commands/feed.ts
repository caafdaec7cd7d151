import { createHash } from 'node:crypto';
import { SlashCommandBuilder } from 'discord.js';
import {
  CHANGE_TYPES,
  describeFilter,
  filterFromOptions,
  MAX_PATTERN_LENGTH,
  MAX_SIZE,
  MAX_USER_LENGTH,
  parseFilterWords,
  parseSpikeWords,
  readStoredFilter,
  spikeFilter,
  SPIKE_THRESHOLD,
  type FilterResult,
} from '@wikipulse/events';
import {
  channelFeeds,
  channelPause,
  guildFeedCount,
  resumeChannel,
  writeFeed,
  type Feed,
  type FeedState,
} from '@wikipulse/store';
import { effectiveLanguage } from '../core/language.js';
import { code, info, problem, say, type Reply, type Span } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

const choices = [
  { name: 'hide', value: 'hide' },
  { name: 'only', value: 'only' },
];

export const data = new SlashCommandBuilder()
  .setName('feed')
  .setDescription('Live feeds of changes in this channel')
  .addSubcommand((s) =>
    s
      .setName('add')
      .setDescription('Post matching changes in this channel (all filters optional, combined)')
      .addStringOption((o) =>
        o.setName('lang').setDescription('Language code, or multi').setAutocomplete(true),
      )
      .addStringOption((o) =>
        o
          .setName('wiki')
          .setDescription('Wiki database name: dewiki, commonswiki')
          .setAutocomplete(true),
      )
      .addStringOption((o) =>
        o.setName('ns').setDescription('Namespaces, comma-separated: 0,1').setMaxLength(80),
      )
      .addStringOption((o) =>
        o
          .setName('type')
          .setDescription(`Change types, comma-separated: ${CHANGE_TYPES.join(',')}`)
          .setMaxLength(40),
      )
      .addStringOption((o) =>
        o
          .setName('bots')
          .setDescription('Bot edits')
          .addChoices(...choices),
      )
      .addStringOption((o) =>
        o
          .setName('minor')
          .setDescription('Minor edits')
          .addChoices(...choices),
      )
      .addStringOption((o) =>
        o
          .setName('anon')
          .setDescription('Anonymous and temporary accounts')
          .addChoices(...choices),
      )
      .addIntegerOption((o) =>
        o
          .setName('size')
          .setDescription('Smallest absolute size change, bytes')
          .setMinValue(1)
          .setMaxValue(MAX_SIZE),
      )
      .addStringOption((o) =>
        o.setName('user').setDescription('User name').setMaxLength(MAX_USER_LENGTH),
      )
      .addStringOption((o) =>
        o
          .setName('title')
          .setDescription('Title prefix, or a pattern with *')
          .setMaxLength(MAX_PATTERN_LENGTH),
      )
      .addStringOption((o) =>
        o.setName('log').setDescription('Log type: delete, block, move').setMaxLength(32),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('spikes')
      .setDescription('Post pages suddenly drawing edits in this channel')
      .addStringOption((o) =>
        o.setName('lang').setDescription('Language code, or multi').setAutocomplete(true),
      )
      .addIntegerOption((o) =>
        o
          .setName('threshold')
          .setDescription('Times its usual pace a page must be edited')
          .setMinValue(SPIKE_THRESHOLD.min)
          .setMaxValue(SPIKE_THRESHOLD.max),
      ),
  )
  .addSubcommand((s) => s.setName('list').setDescription('This channel’s feeds'))
  .addSubcommand((s) =>
    s.setName('remove').setDescription('Remove a feed').addStringOption(idOption),
  )
  .addSubcommand((s) => s.setName('pause').setDescription('Pause a feed').addStringOption(idOption))
  .addSubcommand((s) =>
    s.setName('resume').setDescription('Resume a paused feed').addStringOption(idOption),
  )
  .toJSON();

function idOption<
  T extends {
    setName(n: string): T;
    setDescription(d: string): T;
    setRequired(r: boolean): T;
    setMaxLength(n: number): T;
  },
>(o: T): T {
  return o
    .setName('id')
    .setDescription('The feed’s id, as !feed list shows it')
    .setRequired(true)
    .setMaxLength(16);
}

export const names = ['feed', 'feeds'];
export const usage =
  '!feed add [filters] | add spikes [lang] [threshold] | list | remove|pause|resume <id>';
export const summary =
  'live feeds of changes (or of spikes) in this channel; filters: lang: wiki: ns: type: bots: minor: anon: size: user: title: log:';

const SUBCOMMANDS = ['add', 'list', 'remove', 'pause', 'resume'] as const;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const words = args.form === 'text' ? args.tokens : [];
  const sub =
    args.form === 'text' ? (words[0]?.toLowerCase() ?? 'list') : (args.subcommand ?? 'list');
  if (context.guildId === null) {
    return problem(
      'Feeds post in a Discord server channel: run ',
      code(`${context.prefix}feed`),
      ' there. Here, ',
      code(`${context.prefix}recent`),
      ' and ',
      code(`${context.prefix}trending`),
      ' show the same changes on demand.',
    );
  }
  if (sub === 'list') return list(context);
  if (sub !== 'spikes' && !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    return problem(
      `Unknown subcommand `,
      code(sub.slice(0, 20)),
      '. Use ',
      code(`${context.prefix}feed add`),
      ', ',
      code('list'),
      ', ',
      code('remove'),
      ', ',
      code('pause'),
      ' or ',
      code('resume'),
      '.',
    );
  }
  if (!context.canManageChannels) {
    return problem('Changing this channel’s feeds needs the Manage Channels permission.');
  }
  if (sub === 'add' || sub === 'spikes') {
    let parsed: FilterResult;
    if (args.form === 'slash') {
      parsed =
        sub === 'spikes'
          ? spikeFilter(stringOption(args.options['lang']), stringOption(args.options['threshold']))
          : filterFromOptions(args.options);
    } else {
      // `!feed add spikes de` and `!feed spikes de` (the slash form's name) mean the same.
      const rest = sub === 'spikes' ? words : words.slice(1);
      parsed =
        rest[0]?.toLowerCase() === 'spikes'
          ? parseSpikeWords(rest.slice(1))
          : parseFilterWords(rest);
    }
    if (!parsed.ok) return problem(...withCode(parsed.error));
    return add(context, parsed.filter);
  }
  const id = (args.form === 'text' ? words[1] : stringOption(args.options['id']))?.toLowerCase();
  if (id === undefined || id === '') {
    return problem(
      'Which feed? ',
      code(`${context.prefix}feed ${sub} <id>`),
      '; ',
      code(`${context.prefix}feed list`),
      ' shows the ids.',
    );
  }
  const feeds = await channelFeeds(context.store, context.channelId);
  const feed = feeds.find((f) => f.feed_id === id);
  if (feed === undefined) {
    return problem(
      'This channel has no feed ',
      code(id.slice(0, 16)),
      '. ',
      code(`${context.prefix}feed list`),
      ' shows its feeds.',
    );
  }
  if (sub === 'remove') {
    await update(context, feed, 'removed');
    return say('Removed feed ', code(id), '.');
  }
  if (sub === 'pause') {
    if (feed.state !== 'active') return say('Feed ', code(id), ' is already paused.');
    await update(context, feed, 'paused');
    return say(
      'Paused feed ',
      code(id),
      '. ',
      code(`${context.prefix}feed resume ${id}`),
      ' starts it again.',
    );
  }
  // A channel Discord refused is resumed by resuming any of its feeds: someone says the bot may
  // post here again.
  const refused = await channelPause(context.store, context.channelId);
  if (feed.state === 'active' && !refused) {
    return say('Feed ', code(id), ' is already running.');
  }
  if (feed.state !== 'active') await update(context, feed, 'active');
  if (refused) await resumeChannel(context.store, context.channelId, context.now);
  return say('Resumed feed ', code(id), ': its changes will be posted here again.');
}

/** Why the feeds of a channel Discord refused are not delivered. */
function refusal(status: number): string {
  return status === 403
    ? 'the bot may not post in this channel (Discord answered 403)'
    : 'the channel was not found (Discord answered 404)';
}

/** The filter parser marks what the user typed with backticks: shown as code, escaped. */
function withCode(text: string): (Span | string)[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? code(part) : part));
}

function stringOption(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  return typeof value === 'number' ? String(value) : undefined;
}

/** Eight characters, the same for a command delivered twice: a redelivery adds no second feed. */
export function feedIdFor(channelId: string, commandId: string): string {
  const digest = createHash('sha256').update(`${channelId}/${commandId}`).digest();
  let id = '';
  for (let i = 0; i < 8; i += 1) id += 'abcdefghijkmnpqrstuvwxyz23456789'.charAt(digest[i]! % 32);
  return id;
}

async function add(
  context: CommandContext,
  parsedFilter: Parameters<typeof describeFilter>[0],
): Promise<Reply> {
  const filter = { ...parsedFilter };
  if (filter.kind === 'spikes' && filter.language === undefined && filter.wiki === undefined) {
    // Spikes are measured against a language's own pace: the one the user or server reads.
    filter.language = (await effectiveLanguage(context, undefined)).language;
  }
  const id = feedIdFor(context.channelId, context.commandId);
  const existing = await channelFeeds(context.store, context.channelId);
  if (!existing.some((f) => f.feed_id === id)) {
    const { perChannel, perServer } = context.feedLimits;
    if (existing.length >= perChannel) {
      return problem(
        `This channel already has ${existing.length} feeds, the most it can have (${perChannel}). `,
        code(`${context.prefix}feed remove <id>`),
        ' frees one.',
      );
    }
    const inServer = await guildFeedCount(context.store, context.guildId!);
    if (inServer >= perServer) {
      return problem(
        `This server already has ${inServer} feeds, the most it can have (${perServer}). Remove one in any channel first.`,
      );
    }
    const now = context.now;
    await writeFeed(
      context.store,
      {
        feed_id: id,
        channel_id: context.channelId,
        guild_id: context.guildId!,
        created_by: context.userId,
        kind: filter.kind,
        filter: JSON.stringify(filter),
        state: 'active',
        reason: '',
        created_at: now.toISOString().replace('T', ' ').replace('Z', ''),
      },
      now,
    );
  }
  // Someone set a feed up here, so the bot may well post here again.
  await resumeChannel(context.store, context.channelId, context.now);
  return say(
    'Feed ',
    code(id),
    ` added: ${describeFilter(filter)}. `,
    filter.kind === 'spikes'
      ? 'Pages suddenly drawing edits will be posted here, each at most once an hour unless it keeps rising.'
      : 'Matching changes will be posted here in batches.',
  );
}

async function update(context: CommandContext, feed: Feed, state: FeedState): Promise<void> {
  await writeFeed(context.store, { ...feed, state, reason: '' }, context.now);
}

async function list(context: CommandContext): Promise<Reply> {
  const feeds = await channelFeeds(context.store, context.channelId);
  if (feeds.length === 0) {
    return say(
      'This channel has no feeds. ',
      code(`${context.prefix}feed add lang:de ns:0 bots:hide`),
      ' adds one.',
    );
  }
  const refused = await channelPause(context.store, context.channelId);
  return info(
    feeds.map((feed) => {
      const filter = readStoredFilter(feed.filter);
      const state =
        feed.state === 'paused'
          ? 'paused'
          : refused
            ? `paused: ${refusal(refused.status)}`
            : 'running';
      return [
        code(feed.feed_id),
        ` · ${filter ? describeFilter(filter) : 'unreadable filter'} · ${state}`,
      ];
    }),
    { title: `Feeds in this channel (${feeds.length}/${context.feedLimits.perChannel})` },
  );
}
