import { SlashCommandBuilder } from 'discord.js';
import { TRENDING_MIN_EDITORS, TRENDING_MIN_EDITS, trendingPages } from '@wikipulse/store';
import { readArgs, sourceNote } from '../core/args.js';
import { effectiveLanguage } from '../core/language.js';
import { pageUrl, serverUrlOf } from '../core/wiki.js';
import { code, info, link, say, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';
import { truncate } from './recent.js';

export const data = new SlashCommandBuilder()
  .setName('trending')
  .setDescription('Pages with a sudden burst of edits in the last 15 minutes')
  .addStringOption((o) =>
    o.setName('lang').setDescription('Language code (en, de, multi, commons)'),
  )
  .toJSON();
export const names = ['trending', 'hot'];
export const usage = '!trending [lang]';
export const summary = 'pages suddenly drawing edits: the last 15 minutes against their usual pace';

const LIMIT = 10;
/** The rollup is per minute: an answer a minute old is as fresh as the data allows. */
const TRENDING_TTL_MS = 30_000;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const read = readArgs(context, args, { numbers: [], allowDay: false, usage });
  if (!read.ok) return read.reply;
  const language = await effectiveLanguage(context, read.value.language);
  const rows = await context.memo.get(
    `trending:${language.language}:${language.wiki ?? ''}`,
    TRENDING_TTL_MS,
    () =>
      trendingPages(context.store, {
        language: language.language,
        ...(language.wiki !== undefined ? { wiki: language.wiki } : {}),
        now: context.now,
        limit: LIMIT,
      }),
  );
  if (rows.length === 0) {
    return say(
      'Nothing is trending in ',
      code(language.label),
      ` right now: no page has at least ${TRENDING_MIN_EDITS} edits by ${TRENDING_MIN_EDITORS} people in the last 15 minutes, above its usual pace.`,
    );
  }
  const note = sourceNote(language);
  return info(
    rows.map((row, i) => [
      `${i + 1}. `,
      link(truncate(row.title, 120), pageUrl(serverUrlOf(row.wiki), row.title)),
      ` (${row.wiki}) · ${row.edits} edits by ${row.editors} editors · ${surgeText(row.surge)}`,
    ]),
    {
      title: `Trending in the last 15 minutes · ${language.label}`,
      ...(note !== undefined ? { footer: note } : {}),
    },
  );
}

function surgeText(surge: number): string {
  return surge >= 100 ? '100× its usual pace or more' : `${Math.round(surge)}× its usual pace`;
}
