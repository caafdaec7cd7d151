import { effectiveLanguage } from './language.js';
import { languageChoice } from './languages.js';
import { normaliseTitle, wikipediaOf } from './wiki.js';
import type { WatchChange } from '@wikipulse/store';
import { code, problem, type Reply } from '../reply/model.js';
import type { CommandContext } from './types.js';

export interface WatchTarget {
  wiki: string;
  title: string;
}

/**
 * `!watch Berlin` watches Berlin on the Wikipedia of the caller's language; `de:Berlin` or
 * `commons:File:X.jpg` name the wiki. A prefix that is not a language (`Talk:`) is part of
 * the title.
 */
export async function watchTarget(
  context: CommandContext,
  raw: string,
  verb: 'watch' | 'unwatch',
): Promise<{ ok: true; target: WatchTarget } | { ok: false; reply: Reply }> {
  const colon = raw.indexOf(':');
  const prefix = colon > 0 ? languageChoice(raw.slice(0, colon)) : undefined;
  const titleText = prefix !== undefined ? raw.slice(colon + 1) : raw;
  const title = normaliseTitle(titleText);
  if (!title.ok) {
    return {
      ok: false,
      reply: problem(
        `Cannot ${verb} that: ${title.reason}. Usage: `,
        code(`${context.prefix}${verb} [lang:]<page title>`),
        '.',
      ),
    };
  }
  const language = prefix ?? (await effectiveLanguage(context, undefined));
  if (language.wiki !== undefined)
    return { ok: true, target: { wiki: language.wiki, title: title.title } };
  if (language.language === '') {
    return {
      ok: false,
      reply: problem(
        'Name the wiki for multilingual pages, e.g. ',
        code(`${context.prefix}${verb} commons:File:Example.jpg`),
        '.',
      ),
    };
  }
  return { ok: true, target: { wiki: wikipediaOf(language.language), title: title.title } };
}

/** The stored row for a watch (or unwatch) of `target` by the caller, in the caller's channel. */
export function watchChange(context: CommandContext, target: WatchTarget): WatchChange {
  return {
    channel_id: context.channelId,
    wiki: target.wiki,
    title: target.title,
    guild_id: context.guildId ?? '',
    created_by: context.userId,
    at: context.now,
  };
}
