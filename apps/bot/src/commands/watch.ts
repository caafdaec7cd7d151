import { SlashCommandBuilder } from 'discord.js';
import { addWatch, channelPause, channelWatches, resumeChannel } from '@wikipulse/store';
import { freeText } from '../core/args.js';
import { watchChange, watchTarget } from '../core/watch-target.js';
import { pageUrl } from '../core/wiki.js';
import { serverUrlOf } from '../core/wiki.js';
import { code, info, link, problem, say, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('watch')
  .setDescription('Post a message in this channel when a page changes')
  .addStringOption((o) =>
    o
      .setName('page')
      .setDescription('Page title, optionally with a wiki prefix: de:Berlin')
      .setMaxLength(300),
  )
  .toJSON();
export const names = ['watch'];
export const usage = '!watch [lang:]<page>';
export const summary =
  'a message in this channel when that page changes; alone, lists this channel’s watches';

/** Bounds the in-memory watch set and a channel's noise. */
export const MAX_WATCHES_PER_CHANNEL = 25;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const page = freeText(args, 'page');
  const existing = await channelWatches(context.store, context.channelId);
  if (page === '') {
    if (existing.length === 0) {
      return say(
        'This channel watches no pages. ',
        code(`${context.prefix}watch de:Berlin`),
        ' adds one.',
      );
    }
    const paused = await channelPause(context.store, context.channelId);
    return info(
      existing.map((w) => [link(w.title, pageUrl(serverUrlOf(w.wiki), w.title)), ` (${w.wiki})`]),
      {
        title: `Watched in this channel (${existing.length}/${MAX_WATCHES_PER_CHANNEL})${paused ? ' · paused' : ''}`,
        ...(paused
          ? {
              footer: `Paused: Discord refused the last message here (${paused.status}). Watching one more page here resumes them.`,
            }
          : {}),
      },
    );
  }
  const parsed = await watchTarget(context, page, 'watch');
  if (!parsed.ok) return parsed.reply;
  const { wiki, title } = parsed.target;
  if (existing.some((w) => w.wiki === wiki && w.title === title)) {
    return say('Already watching ', code(title), ` on ${wiki} here.`);
  }
  if (existing.length >= MAX_WATCHES_PER_CHANNEL) {
    return problem(
      `This channel already watches ${MAX_WATCHES_PER_CHANNEL} pages, the most it can. `,
      code(`${context.prefix}unwatch <page>`),
      ' frees one.',
    );
  }
  await addWatch(context.store, watchChange(context, parsed.target));
  // Someone could set a watch up here, so the bot may well post here again.
  await resumeChannel(context.store, context.channelId, context.now);
  return say(
    'Watching ',
    link(title, pageUrl(serverUrlOf(wiki), title)),
    ` on ${wiki}: changes will be posted in this channel.`,
  );
}
