import { SlashCommandBuilder } from 'discord.js';
import { topPages } from '@wikipulse/store';
import { dayScope, sourceNote } from '../core/args.js';
import { pageUrl } from '../core/wiki.js';
import { code, info, link, say, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';
import { truncate } from './recent.js';

export const data = new SlashCommandBuilder()
  .setName('top')
  .setDescription('The most-edited pages of a day')
  .addStringOption((o) =>
    o.setName('lang').setDescription('Language code (en, de, multi, commons)'),
  )
  .addStringOption((o) => o.setName('date').setDescription('YYYY-MM-DD (UTC), default today'))
  .toJSON();
export const names = ['top'];
export const usage = '!top [lang] [yyyy-mm-dd]';
export const summary = 'the most-edited pages that day (default today, UTC)';

const LIMIT = 10;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const scope = await dayScope(context, args, usage);
  if (!scope.ok) return scope.reply;
  const { day, language, query } = scope.value;
  const rows = await context.memo.get(
    `top:${scope.value.key}`,
    scope.value.isToday ? 60_000 : 600_000,
    () => topPages(context.store, { ...query, limit: LIMIT }),
  );
  if (rows.length === 0) return say('No edits stored for ', code(language.label), ` on ${day}.`);
  const note = sourceNote(language);
  return info(
    rows.map((row, i) => [
      `${i + 1}. `,
      link(truncate(row.title, 120), pageUrl(row.server_url, row.title)),
      ` (${row.wiki}) · ${row.edits} edit${row.edits === 1 ? '' : 's'} by ${row.editors} editor${row.editors === 1 ? '' : 's'}`,
    ]),
    {
      title: `Most-edited pages on ${day} · ${language.label}`,
      ...(note !== undefined ? { footer: note } : {}),
    },
  );
}
