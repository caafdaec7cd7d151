import { effectiveLanguage, unknownLanguage, type EffectiveLanguage } from './language.js';
import { languageChoice, type LanguageChoice } from './languages.js';
import { isNumeric, looksLikeDay, parseDay } from './parse.js';
import { code, problem, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from './types.js';

/**
 * Sorts free-order arguments into numbers, one day and one language, so that `!recent 5 de`
 * and `!recent de 5` mean the same. Each problem becomes a reply that says what was wrong.
 */
export interface SortedArgs {
  numbers: string[];
  day?: string;
  language?: LanguageChoice;
}

export interface SortOptions {
  maxNumbers: number;
  allowDay: boolean;
  usage: string;
}

export function sortArgs(
  context: CommandContext,
  args: readonly string[],
  options: SortOptions,
): { ok: true; value: SortedArgs } | { ok: false; reply: Reply } {
  const usage = (): Reply =>
    problem('Usage: ', code(options.usage.replace(/^!/, context.prefix)), '.');
  const out: SortedArgs = { numbers: [] };
  for (const token of args) {
    if (isNumeric(token)) {
      if (out.numbers.length >= options.maxNumbers) return { ok: false, reply: usage() };
      out.numbers.push(token);
    } else if (options.allowDay && looksLikeDay(token)) {
      if (out.day !== undefined) return { ok: false, reply: usage() };
      const day = parseDay(token, context.now, context.retentionDays);
      if (!day.ok) return { ok: false, reply: dayProblem(context, token, day.reason) };
      out.day = day.day;
    } else {
      if (out.language !== undefined) return { ok: false, reply: usage() };
      const choice = languageChoice(token);
      if (choice === undefined) {
        return {
          ok: false,
          reply: /^[a-z_-]{1,16}$/i.test(token) ? unknownLanguage(token) : usage(),
        };
      }
      out.language = choice;
    }
  }
  return { ok: true, value: out };
}

/** What a command's arguments hold, read the same from prefix text and from slash options. */
export interface ReadArgs<N extends string> {
  language?: LanguageChoice;
  day?: string;
  /** Whole numbers by option name; a prefix command gives them in this order. */
  numbers: Partial<Record<N, number>>;
}

export interface ReadSpec<N extends string> {
  usage: string;
  /** The numeric options, in the order a prefix command takes them. */
  numbers: readonly N[];
  /** Whether a day (`date` option) is taken. */
  allowDay: boolean;
}

/**
 * A language (`lang`), a day (`date`) and numeric options: from prefix words in any order
 * (`sortArgs`), or from slash options by name, which Discord has already typed.
 */
export function readArgs<N extends string>(
  context: CommandContext,
  args: CommandArgs,
  spec: ReadSpec<N>,
): { ok: true; value: ReadArgs<N> } | { ok: false; reply: Reply } {
  const numbers: Partial<Record<N, number>> = {};
  if (args.form === 'text') {
    const sorted = sortArgs(context, args.tokens, {
      maxNumbers: spec.numbers.length,
      allowDay: spec.allowDay,
      usage: spec.usage,
    });
    if (!sorted.ok) return sorted;
    // `sortArgs` took only integer words; each command checks the range (`boundedInteger`).
    for (const [i, token] of sorted.value.numbers.entries())
      numbers[spec.numbers[i]!] = Number(token);
    const { language, day } = sorted.value;
    return {
      ok: true,
      value: { numbers, ...(language ? { language } : {}), ...(day ? { day } : {}) },
    };
  }
  const out: ReadArgs<N> = { numbers };
  const { lang, date } = args.options;
  if (typeof lang === 'string' && lang.trim() !== '') {
    const token = lang.trim().slice(0, 32);
    const choice = languageChoice(token);
    if (choice === undefined) return { ok: false, reply: unknownLanguage(token) };
    out.language = choice;
  }
  if (spec.allowDay && typeof date === 'string' && date.trim() !== '') {
    const token = date.trim();
    const day = parseDay(token, context.now, context.retentionDays);
    if (!day.ok) return { ok: false, reply: dayProblem(context, token, day.reason) };
    out.day = day.day;
  }
  for (const name of spec.numbers) {
    const value = args.options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return { ok: false, reply: notWhole(name) };
    }
    numbers[name] = value;
  }
  return { ok: true, value: out };
}

/**
 * Free text: the whole rest of a prefix command (`!watch de:Main Page`), or one string option
 * of a slash command. '' when absent.
 */
export function freeText(args: CommandArgs, option: string): string {
  if (args.form === 'text') return args.tokens.join(' ');
  const value = args.options[option];
  return typeof value === 'string' ? value.trim() : '';
}

function notWhole(what: string): Reply {
  return problem(`The ${what} must be a whole number.`);
}

export function dayProblem(
  context: CommandContext,
  token: string,
  reason: 'format' | 'invalid' | 'future' | 'expired',
): Reply {
  const shown = code(token.slice(0, 24));
  if (reason === 'future') return problem(shown, ' is in the future; no changes are known yet.');
  if (reason === 'expired') {
    return problem(shown, ` is older than the ${context.retentionDays} days of history kept.`);
  }
  return problem(
    shown,
    ' is not a date. Use ',
    code('YYYY-MM-DD'),
    ' (UTC), ',
    code('today'),
    ' or ',
    code('yesterday'),
    '.',
  );
}

/** An integer argument within bounds, or a reply saying which bounds. */
export function boundedInteger(
  given: number | undefined,
  fallback: number,
  min: number,
  max: number,
  what: string,
): { ok: true; value: number } | { ok: false; reply: Reply } {
  if (given === undefined) return { ok: true, value: fallback };
  const value = Number.isInteger(given) && given >= min && given <= max ? given : undefined;
  if (value === undefined) {
    return {
      ok: false,
      reply: problem(`The ${what} must be a whole number from ${min} to ${max}.`),
    };
  }
  return { ok: true, value };
}

export function sourceNote(language: EffectiveLanguage): string | undefined {
  if (language.source === 'user') return 'language from your setting (!setLang)';
  if (language.source === 'server') return 'language from the server’s setting';
  if (language.source === 'default') return 'default language; set yours with !setLang';
  return undefined;
}

export function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export interface DayScope {
  day: string;
  isToday: boolean;
  language: EffectiveLanguage;
  /** What the day queries take. */
  query: { day: string; language: string; wiki?: string };
  /** Identifies the answer in the worker's cache. */
  key: string;
}

/** `[yyyy-mm-dd] [lang]` in any order, for the per-day commands (`!stats`, `!top`). */
export async function dayScope(
  context: CommandContext,
  args: CommandArgs,
  usage: string,
): Promise<{ ok: true; value: DayScope } | { ok: false; reply: Reply }> {
  const sorted = readArgs(context, args, { numbers: [], allowDay: true, usage });
  if (!sorted.ok) return sorted;
  const day = sorted.value.day ?? today(context.now);
  const language = await effectiveLanguage(context, sorted.value.language);
  return {
    ok: true,
    value: {
      day,
      isToday: day === today(context.now),
      language,
      query: {
        day,
        language: language.language,
        ...(language.wiki !== undefined ? { wiki: language.wiki } : {}),
      },
      key: `${day}:${language.language}:${language.wiki ?? ''}`,
    },
  };
}
