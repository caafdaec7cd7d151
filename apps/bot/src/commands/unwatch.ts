import { SlashCommandBuilder } from 'discord.js';
import { channelWatches, removeWatch } from '@wikipulse/store';
import { freeText } from '../core/args.js';
import { watchChange, watchTarget } from '../core/watch-target.js';
import { code, problem, say, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('unwatch')
  .setDescription('Stop posting changes of a page in this channel')
  .addStringOption((o) =>
    o
      .setName('page')
      .setDescription('Page title, as given to /watch')
      .setRequired(true)
      .setMaxLength(300),
  )
  .toJSON();
export const names = ['unwatch'];
export const usage = '!unwatch [lang:]<page>';
export const summary = 'stop watching a page in this channel';

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const page = freeText(args, 'page');
  if (page === '') return problem('Usage: ', code(`${context.prefix}unwatch [lang:]<page>`), '.');
  const parsed = await watchTarget(context, page, 'unwatch');
  if (!parsed.ok) return parsed.reply;
  const { wiki, title } = parsed.target;
  const existing = await channelWatches(context.store, context.channelId);
  const watch = existing.find((w) => w.wiki === wiki && w.title === title);
  if (watch === undefined) {
    return problem(
      'This channel does not watch ',
      code(title),
      ` on ${wiki}. `,
      code(`${context.prefix}watch`),
      ' lists what it watches.',
    );
  }
  // Anyone may drop their own watch; someone else's is a moderator's call.
  if (watch.created_by !== context.userId && !context.canManageChannels) {
    return problem(
      'Someone else set up this watch: removing it needs the Manage Channels permission here.',
    );
  }
  await removeWatch(context.store, watchChange(context, parsed.target));
  return say('Stopped watching ', code(title), ` on ${wiki}.`);
}
