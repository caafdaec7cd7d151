import { SlashCommandBuilder } from 'discord.js';
import { dailyStats } from '@wikipulse/store';
import { dayScope, sourceNote } from '../core/args.js';
import { bold, info, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('stats')
  .setDescription('How many changes a day, by type and bots vs humans')
  .addStringOption((o) => o.setName('date').setDescription('YYYY-MM-DD (UTC), default today'))
  .addStringOption((o) =>
    o.setName('lang').setDescription('Language code (en, de, multi, commons)'),
  )
  .toJSON();
export const names = ['stats'];
export const usage = '!stats [yyyy-mm-dd] [lang]';
export const summary = 'changes that day (default today, UTC) by type, bots and humans';

const format = new Intl.NumberFormat('en-US');
/** Today's counts grow by the second; a few seconds' lag is fine for a chat answer. */
const TODAY_TTL_MS = 15_000;
const PAST_TTL_MS = 600_000;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const scope = await dayScope(context, args, usage);
  if (!scope.ok) return scope.reply;
  const { day, language, query } = scope.value;
  const stats = await context.memo.get(
    `stats:${scope.value.key}`,
    scope.value.isToday ? TODAY_TTL_MS : PAST_TTL_MS,
    () => dailyStats(context.store, query),
  );
  const note = sourceNote(language);
  const types = Object.entries(stats.byType).sort((a, b) => b[1] - a[1]);
  const share = (n: number) =>
    stats.total === 0 ? '' : ` (${Math.round((100 * n) / stats.total)}%)`;
  return info(
    [
      [
        bold(format.format(stats.total)),
        stats.total === 1 ? ' change' : ' changes',
        stats.total === 0 ? ' recorded that day.' : '',
      ],
    ],
    {
      title: `Changes on ${day} · ${language.label}`,
      fields: [
        ...types.map(([type, n]) => ({
          name: type === '' ? '(none)' : type,
          value: format.format(n),
        })),
        { name: 'humans', value: `${format.format(stats.humans)}${share(stats.humans)}` },
        { name: 'bots', value: `${format.format(stats.bots)}${share(stats.bots)}` },
      ],
      ...(note !== undefined ? { footer: note } : {}),
    },
  );
}
