import { SlashCommandBuilder } from 'discord.js';
import {
  RECENT_MAX_LIMIT,
  RECENT_MAX_OFFSET,
  recentChanges,
  type RecentChangeRow,
} from '@wikipulse/store';
import { boundedInteger, readArgs, sourceNote } from '../core/args.js';
import { effectiveLanguage } from '../core/language.js';
import { pageUrl } from '../core/wiki.js';
import { bold, code, info, italic, link, say, type Line, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('recent')
  .setDescription('The latest changes for a language')
  .addStringOption((o) =>
    o.setName('lang').setDescription('Language code (en, de, multi, commons)'),
  )
  .addIntegerOption((o) =>
    o
      .setName('limit')
      .setDescription('How many (default 10)')
      .setMinValue(1)
      .setMaxValue(RECENT_MAX_LIMIT),
  )
  .addIntegerOption((o) =>
    o
      .setName('offset')
      .setDescription('Skip this many newest')
      .setMinValue(0)
      .setMaxValue(RECENT_MAX_OFFSET),
  )
  .toJSON();
export const names = ['recent', 'rc'];
export const usage = '!recent [lang] [limit] [offset]';
export const summary = `the latest changes (limit 1–${RECENT_MAX_LIMIT}, default 10)`;

const DEFAULT_LIMIT = 10;
/**
 * The sink writes in batches about a second apart, so an answer up to two seconds old shows
 * the same changes; under load, one query per language and page every two seconds serves all.
 */
const RECENT_TTL_MS = 2000;
const COMMENT_CHARS = 90;

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  const sorted = readArgs(context, args, { numbers: ['limit', 'offset'], allowDay: false, usage });
  if (!sorted.ok) return sorted.reply;
  const { numbers } = sorted.value;
  const limit = boundedInteger(numbers.limit, DEFAULT_LIMIT, 1, RECENT_MAX_LIMIT, 'limit');
  if (!limit.ok) return limit.reply;
  const offset = boundedInteger(numbers.offset, 0, 0, RECENT_MAX_OFFSET, 'offset');
  if (!offset.ok) return offset.reply;
  const language = await effectiveLanguage(context, sorted.value.language);
  const query = {
    language: language.language,
    ...(language.wiki !== undefined ? { wiki: language.wiki } : {}),
    limit: limit.value,
    offset: offset.value,
  };
  const rows = await context.memo.get(
    `recent:${language.language}:${language.wiki ?? ''}:${limit.value}:${offset.value}`,
    RECENT_TTL_MS,
    () => recentChanges(context.store, query),
  );
  if (rows.length === 0) {
    return say(
      'No changes stored for ',
      code(language.label),
      offset.value > 0 ? ' at that offset.' : ' yet.',
    );
  }
  const note = sourceNote(language);
  return info(rows.map(changeLine), {
    title: `Latest ${rows.length} change${rows.length === 1 ? '' : 's'} · ${language.label}${offset.value > 0 ? ` · after ${offset.value}` : ''}`,
    ...(note !== undefined ? { footer: note } : {}),
  });
}

/** What one line of a change shows: `!recent`, watches and feeds. */
export type ChangeLineRow = Pick<
  RecentChangeRow,
  | 'event_time'
  | 'wiki'
  | 'title'
  | 'server_url'
  | 'user'
  | 'type'
  | 'log_type'
  | 'length_old'
  | 'length_new'
  | 'bot'
  | 'comment'
>;

export function changeLine(row: ChangeLineRow): Line {
  const parts: Line[number][] = [
    code(row.event_time.slice(11, 19)),
    ' ',
    bold(row.wiki),
    ' ',
    row.title === ''
      ? '(no title)'
      : link(truncate(row.title, 120), pageUrl(row.server_url, row.title)),
    ' · ',
    truncate(row.user, 60),
    ' · ',
    row.type === 'log' && row.log_type !== '' ? `log/${row.log_type}` : row.type,
  ];
  const delta = sizeDelta(row);
  if (delta !== '') parts.push(' · ', delta);
  if (row.bot) parts.push(' · bot');
  if (row.comment.trim() !== '')
    parts.push(' · ', italic(truncate(row.comment.trim(), COMMENT_CHARS)));
  return parts;
}

export function sizeDelta(row: Pick<RecentChangeRow, 'length_old' | 'length_new'>): string {
  if (row.length_new === null) return '';
  const delta = row.length_new - (row.length_old ?? 0);
  if (delta > 0) return `+${delta}`;
  if (delta < 0) return `−${-delta}`;
  return '±0';
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const graphemes = Array.from(new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text));
  if (graphemes.length <= max) return text;
  return `${graphemes
    .slice(0, max - 1)
    .map((g) => g.segment)
    .join('')}…`;
}
