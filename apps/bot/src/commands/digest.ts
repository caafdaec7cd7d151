import { SlashCommandBuilder } from 'discord.js';
import {
  channelDigest,
  channelPause,
  removeDigest,
  resumeChannel,
  setDigest,
} from '@wikipulse/store';
import { dayProblem } from '../core/args.js';
import { unknownLanguage } from '../core/language.js';
import { parseDay } from '../core/parse.js';
import type { CommandArgs, CommandContext, SlashValue } from '../core/types.js';
import { digestReply, digestScope, previousDay, type DigestScope } from '../digest/report.js';
import { code, problem, say, type Reply } from '../reply/model.js';

const LANG = 'Language code, multi, commons, or all (default all)';

export const data = new SlashCommandBuilder()
  .setName('digest')
  .setDescription("A daily overview of the previous day's changes, with a chart")
  .addSubcommand((s) =>
    s
      .setName('at')
      .setDescription('Post the digest in this channel every day at this time (UTC)')
      .addStringOption((o) =>
        o.setName('time').setDescription('HH:MM, UTC').setRequired(true).setMaxLength(5),
      )
      .addStringOption((o) => o.setName('lang').setDescription(LANG).setMaxLength(32)),
  )
  .addSubcommand((s) =>
    s
      .setName('now')
      .setDescription('Post a digest here at once')
      .addStringOption((o) =>
        o.setName('date').setDescription('YYYY-MM-DD (UTC), default yesterday').setMaxLength(10),
      )
      .addStringOption((o) => o.setName('lang').setDescription(LANG).setMaxLength(32)),
  )
  .addSubcommand((s) => s.setName('off').setDescription("Stop this channel's daily digest"))
  .addSubcommand((s) => s.setName('show').setDescription("This channel's daily digest, if any"))
  .toJSON();
export const names = ['digest'];
export const usage = '!digest at <HH:MM> [lang] | now [yyyy-mm-dd] [lang] | off';
export const summary =
  "a daily overview of the previous day in this channel at a time (UTC), with a chart; 'now' posts one at once";

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** What a digest subcommand was given, from prefix words or from slash options. */
interface DigestInput {
  action: string;
  time?: string;
  date?: string;
  lang?: string;
  /** Words a prefix command had left over. */
  extra: readonly string[];
}

function readInput(args: CommandArgs): DigestInput {
  if (args.form === 'slash') {
    const text = (value: SlashValue | undefined) =>
      typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    const { time, date, lang } = args.options;
    return {
      action: args.subcommand ?? 'show',
      ...(text(time) !== undefined ? { time: text(time)! } : {}),
      ...(text(date) !== undefined ? { date: text(date)! } : {}),
      ...(text(lang) !== undefined ? { lang: text(lang)! } : {}),
      extra: [],
    };
  }
  const [action = 'show', ...rest] = args.tokens;
  const lower = action.toLowerCase();
  if (lower === 'at') {
    const [time, lang, ...extra] = rest;
    return { action: lower, ...(time ? { time } : {}), ...(lang ? { lang } : {}), extra };
  }
  if (lower === 'now') {
    // `now de`, `now 2026-12-05` and `now 2026-12-05 de` all read naturally.
    const date = rest.find((t) => /^\d/.test(t) || /^(today|yesterday)$/i.test(t));
    const others = rest.filter((t) => t !== date);
    const [lang, ...extra] = others;
    return { action: lower, ...(date ? { date } : {}), ...(lang ? { lang } : {}), extra };
  }
  return { action: lower, extra: rest };
}

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const input = readInput(args);
  const usageReply = problem('Usage: ', code(usage.replace(/^!/, context.prefix)), '.');
  if (input.extra.length > 0) return usageReply;
  switch (input.action) {
    case 'show':
      return show(context);
    case 'now':
      return now(context, input);
    case 'at':
      return at(context, input);
    case 'off':
      return off(context);
    default:
      return usageReply;
  }
}

function scopeOf(
  lang: string | undefined,
): { ok: true; scope: DigestScope } | { ok: false; reply: Reply } {
  const scope = digestScope(lang?.slice(0, 32));
  if (scope !== undefined) return { ok: true, scope };
  return { ok: false, reply: unknownLanguage(lang ?? '') };
}

async function now(context: CommandContext, input: DigestInput): Promise<Reply> {
  const scope = scopeOf(input.lang);
  if (!scope.ok) return scope.reply;
  let day = previousDay(context.now);
  if (input.date !== undefined) {
    const parsed = parseDay(input.date, context.now, context.retentionDays);
    if (!parsed.ok) return dayProblem(context, input.date, parsed.reason);
    day = parsed.day;
  }
  return digestReply(context.store, day, scope.scope);
}

/** Setting a digest up or off changes what a channel receives every day: a moderator's call. */
function mayManage(context: CommandContext): Reply | undefined {
  if (context.guildId === null) {
    return problem('Daily digests are posted in a server channel: set one up there.');
  }
  if (!context.canManageChannels) {
    return problem(
      'Setting up or stopping a daily digest needs the Manage Channels permission here.',
    );
  }
  return undefined;
}

async function at(context: CommandContext, input: DigestInput): Promise<Reply> {
  const refused = mayManage(context);
  if (refused !== undefined) return refused;
  const match = input.time === undefined ? null : TIME.exec(input.time);
  if (match === null) {
    const example = code(`${context.prefix}digest at 08:00 de`);
    if (input.time === undefined) {
      return problem('Give a time as ', code('HH:MM'), ' in UTC, e.g. ', example, '.');
    }
    return problem(
      code(input.time.slice(0, 16)),
      ' is not a time: use ',
      code('HH:MM'),
      ' in UTC, e.g. ',
      example,
      '.',
    );
  }
  const scope = scopeOf(input.lang);
  if (!scope.ok) return scope.reply;
  const minute = Number(match[1]) * 60 + Number(match[2]);
  const time = `${match[1]!.padStart(2, '0')}:${match[2]}`;
  await setDigest(context.store, {
    channel_id: context.channelId,
    guild_id: context.guildId ?? '',
    scope: scope.scope.label,
    minute_of_day: minute,
    created_by: context.userId,
    at: context.now,
  });
  await resumeChannel(context.store, context.channelId, context.now);
  const where = scope.scope.label === 'all' ? 'all wikis' : scope.scope.label;
  return say(
    `Every day at ${time} UTC this channel gets the previous day's digest for ${where}. `,
    code(`${context.prefix}digest off`),
    ' stops it.',
  );
}

async function off(context: CommandContext): Promise<Reply> {
  const refused = mayManage(context);
  if (refused !== undefined) return refused;
  const digest = await channelDigest(context.store, context.channelId);
  if (digest === undefined) return problem('This channel has no daily digest to stop.');
  await removeDigest(context.store, { ...digest, created_by: context.userId, at: context.now });
  return say('Stopped the daily digest in this channel.');
}

async function show(context: CommandContext): Promise<Reply> {
  const digest = await channelDigest(context.store, context.channelId);
  if (digest === undefined) {
    return say(
      'This channel has no daily digest. ',
      code(`${context.prefix}digest at 08:00 de`),
      ' posts one every day; ',
      code(`${context.prefix}digest now`),
      ' posts one at once.',
    );
  }
  const time = `${String(Math.floor(digest.minute_of_day / 60)).padStart(2, '0')}:${String(digest.minute_of_day % 60).padStart(2, '0')}`;
  const paused = await channelPause(context.store, context.channelId);
  return say(
    `This channel gets the daily digest for ${digest.scope === 'all' ? 'all wikis' : digest.scope} at ${time} UTC.`,
    paused === undefined
      ? ''
      : ` Paused: Discord refused the last post here (${paused.status}). Once the bot may post here again, setting the digest again resumes it.`,
  );
}
