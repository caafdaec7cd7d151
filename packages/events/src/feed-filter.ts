import { z } from 'zod';
import { KNOWN_LANGUAGES, MULTILINGUAL_WIKIS } from './language-codes.js';

/**
 * A feed's filter: every field optional, all of them combined with AND. Pure data, stored as
 * JSON in the `feeds` table and checked again with `feedFilterSchema` whenever it is read.
 */
export const CHANGE_TYPES = ['edit', 'new', 'log', 'categorize'] as const;
export type FeedChangeType = (typeof CHANGE_TYPES)[number];
export type Choice = 'hide' | 'only';

export const MAX_NAMESPACES = 10;
export const MAX_PATTERN_LENGTH = 100;
export const MAX_PATTERN_STARS = 5;
export const MAX_USER_LENGTH = 85;
export const MAX_SIZE = 10_000_000;
export const SPIKE_THRESHOLD = { min: 2, max: 100, fallback: 3 } as const;

const choice = z.enum(['hide', 'only']);
const wikiName = z.string().regex(/^[a-z][a-z0-9_]{1,40}$/);

export const feedFilterSchema = z
  .object({
    kind: z.enum(['changes', 'spikes']),
    /** The stored language; '' for the multilingual wikis (`multi`). */
    language: z.string().max(16).optional(),
    wiki: wikiName.optional(),
    namespaces: z
      .array(z.number().int().min(-2).max(100_000))
      .min(1)
      .max(MAX_NAMESPACES)
      .optional(),
    types: z.array(z.enum(CHANGE_TYPES)).min(1).max(CHANGE_TYPES.length).optional(),
    bots: choice.optional(),
    minor: choice.optional(),
    /** Anonymous (IP) and temporary (`~2025-…`) accounts. */
    anon: choice.optional(),
    minSize: z.number().int().min(1).max(MAX_SIZE).optional(),
    user: z.string().min(1).max(MAX_USER_LENGTH).optional(),
    /** Without `*`: a title prefix; with `*`: the whole title, `*` standing for any run. */
    title: z.string().min(1).max(MAX_PATTERN_LENGTH).optional(),
    logType: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/)
      .optional(),
    /** Spike feeds: how many times its usual pace a page must be edited. */
    threshold: z.number().int().min(SPIKE_THRESHOLD.min).max(SPIKE_THRESHOLD.max).optional(),
  })
  .strict();

export type FeedFilter = z.output<typeof feedFilterSchema>;

export type FilterResult = { ok: true; filter: FeedFilter } | { ok: false; error: string };

/** The prefix form's keys, each with what it takes: the reply to a bad one lists them. */
export const FILTER_KEYS = {
  lang: 'a language code (de, en, …) or multi',
  wiki: 'a wiki database name (dewiki, commonswiki, …)',
  ns: `namespace numbers, comma-separated (0,1; at most ${MAX_NAMESPACES})`,
  type: `change types, comma-separated (${CHANGE_TYPES.join(', ')})`,
  bots: 'hide or only',
  minor: 'hide or only',
  anon: 'hide or only (anonymous and temporary accounts)',
  size: `the smallest absolute size change in bytes (1–${MAX_SIZE})`,
  user: 'a user name (underscores for spaces)',
  title: `a title prefix, or a pattern with * (at most ${MAX_PATTERN_LENGTH} characters and ${MAX_PATTERN_STARS} *)`,
  log: 'a log type (delete, block, move, …)',
} as const;
type FilterKey = keyof typeof FILTER_KEYS;
/** Own keys only: `constructor` or `toString` are no filters, though `in` would say so. */
const isFilterKey = (key: string): key is FilterKey => Object.hasOwn(FILTER_KEYS, key);

const fail = (error: string): FilterResult => ({ ok: false, error });

/**
 * Reads `!feed add key:value …` (prefix form). Underscores stand for spaces in user names and
 * titles, as in wiki links. Every problem is reported with the word that caused it.
 */
export function parseFilterWords(words: readonly string[]): FilterResult {
  const values: Partial<Record<FilterKey, string>> = {};
  for (const word of words) {
    const colon = word.indexOf(':');
    const key = word.slice(0, Math.max(0, colon)).toLowerCase();
    if (colon <= 0 || !isFilterKey(key)) {
      return fail(
        `\`${word.slice(0, 40)}\` is not a filter. Filters are key:value, with the keys ${Object.keys(FILTER_KEYS).join(', ')}.`,
      );
    }
    if (values[key] !== undefined) return fail(`\`${key}:\` is given twice.`);
    values[key] = word.slice(colon + 1);
  }
  return buildFilter(values, { underscores: true, separator: ':' });
}

/** Reads the slash command's typed options, named as the prefix keys. */
export function filterFromOptions(
  options: Readonly<Record<string, string | number | boolean>>,
): FilterResult {
  const values: Partial<Record<FilterKey, string>> = {};
  for (const key of Object.keys(FILTER_KEYS) as FilterKey[]) {
    const value = options[key];
    if (value !== undefined) values[key] = String(value).trim();
  }
  return buildFilter(values, { underscores: false, separator: ':' });
}

/**
 * Reads the query string of the web page's filtered view (`?lang=de&ns=0&title=Berlin*`, as
 * `filterQuery` writes it). Parameters named in `others` belong to the caller (paging, the feed's
 * id) and are left alone; any other name is refused, so a mistyped filter is never silently
 * ignored. Underscores stand for spaces, as in the prefix form.
 */
export function parseFilterQuery(
  params: URLSearchParams,
  others: readonly string[] = [],
): FilterResult {
  const values: Partial<Record<FilterKey, string>> = {};
  for (const name of new Set(params.keys())) {
    if (others.includes(name)) continue;
    if (!isFilterKey(name)) {
      return fail(
        `\`${name.slice(0, 40)}\` is not a filter. Filters are ${Object.keys(FILTER_KEYS).join(', ')}.`,
      );
    }
    const given = params.getAll(name);
    if (given.length > 1) return fail(`\`${name}=\` is given twice.`);
    values[name] = given[0]!.trim();
  }
  return buildFilter(values, { underscores: true, separator: '=' });
}

function buildFilter(
  values: Partial<Record<FilterKey, string>>,
  { underscores, separator }: { underscores: boolean; separator: ':' | '=' },
): FilterResult {
  const filter: FeedFilter = { kind: 'changes' };
  const spaced = (text: string) => (underscores ? text.replace(/_/g, ' ') : text).trim();
  for (const [key, raw] of Object.entries(values) as [FilterKey, string][]) {
    const shown = `\`${key}${separator}${raw.slice(0, 40)}\``;
    if (raw === '') return fail(`${shown} has no value: ${key} takes ${FILTER_KEYS[key]}.`);
    switch (key) {
      case 'lang': {
        const language = feedLanguage(raw);
        if (language === undefined) {
          return fail(
            `${shown}: unknown language code. Use a code such as de, en or zh-yue, or multi.`,
          );
        }
        Object.assign(filter, language);
        break;
      }
      case 'wiki': {
        const wiki = raw.toLowerCase();
        if (!wikiName.safeParse(wiki).success) {
          return fail(`${shown}: a wiki is a database name such as dewiki or commonswiki.`);
        }
        filter.wiki = wiki;
        break;
      }
      case 'ns': {
        const parts = raw.split(',');
        if (parts.length > MAX_NAMESPACES || !parts.every((p) => /^-?\d{1,6}$/.test(p))) {
          return fail(`${shown}: ns takes ${FILTER_KEYS.ns}.`);
        }
        const namespaces = [...new Set(parts.map(Number))];
        if (namespaces.some((n) => n < -2 || n > 100_000)) {
          return fail(`${shown}: namespaces are numbers from -2 up.`);
        }
        filter.namespaces = namespaces.sort((a, b) => a - b);
        break;
      }
      case 'type': {
        const types = [...new Set(raw.toLowerCase().split(','))];
        const unknown = types.find((t) => !(CHANGE_TYPES as readonly string[]).includes(t));
        if (unknown !== undefined) {
          return fail(
            `${shown}: \`${unknown.slice(0, 20)}\` is not a change type; use ${CHANGE_TYPES.join(', ')}.`,
          );
        }
        filter.types = CHANGE_TYPES.filter((t) => types.includes(t));
        break;
      }
      case 'bots':
      case 'minor':
      case 'anon': {
        const value = raw.toLowerCase();
        if (value !== 'hide' && value !== 'only')
          return fail(`${shown}: ${key} takes hide or only.`);
        filter[key] = value;
        break;
      }
      case 'size': {
        if (!/^\d{1,8}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_SIZE) {
          return fail(`${shown}: size takes ${FILTER_KEYS.size}.`);
        }
        filter.minSize = Number(raw);
        break;
      }
      case 'user': {
        const user = spaced(raw);
        if (user.length > MAX_USER_LENGTH || /[#<>[\]|{}]/.test(user)) {
          return fail(
            `${shown}: not a user name (at most ${MAX_USER_LENGTH} characters, none of # < > [ ] | { }).`,
          );
        }
        filter.user = user;
        break;
      }
      case 'title': {
        const title = spaced(raw);
        if (title.length > MAX_PATTERN_LENGTH) {
          return fail(`\`title${separator}\` is longer than ${MAX_PATTERN_LENGTH} characters.`);
        }
        if (title.split('*').length - 1 > MAX_PATTERN_STARS) {
          return fail(`\`title${separator}\` has more than ${MAX_PATTERN_STARS} \`*\`.`);
        }
        if (title.replace(/\*/g, '') === '')
          return fail(`${shown} would match every title; leave title out instead.`);
        filter.title = title;
        break;
      }
      case 'log': {
        const logType = raw.toLowerCase();
        if (!/^[a-z][a-z0-9_-]{0,31}$/.test(logType)) {
          return fail(`${shown}: a log type is a word such as delete, block or move.`);
        }
        filter.logType = logType;
        break;
      }
    }
  }
  if (values.lang !== undefined && values.wiki !== undefined) {
    return fail(
      `Give either lang${separator} or wiki${separator}, not both (a wiki has one language).`,
    );
  }
  if (filter.logType !== undefined && filter.types !== undefined && !filter.types.includes('log')) {
    return fail(
      `\`log${separator}\` selects log entries, but \`type${separator}\` leaves log out; add log to type or drop log${separator}.`,
    );
  }
  return { ok: true, filter };
}

/** A language filter: `multi` and the multilingual wikis' names (commons) included. */
export function feedLanguage(token: string): Pick<FeedFilter, 'language' | 'wiki'> | undefined {
  const code = token.toLowerCase().replace(/_/g, '-');
  const wiki = MULTILINGUAL_WIKIS.get(code);
  if (wiki !== undefined) return { wiki };
  if (!KNOWN_LANGUAGES.has(code)) return undefined;
  return { language: code === 'multi' ? '' : code };
}

/** `!feed add spikes [lang] [threshold]`, in either order. */
export function parseSpikeWords(words: readonly string[]): FilterResult {
  const values: { lang?: string; threshold?: string } = {};
  for (const word of words) {
    const key = /^\d+$/.test(word) ? 'threshold' : 'lang';
    if (values[key] !== undefined) {
      return fail(
        `Spike feeds take at most one language and one threshold: \`${word.slice(0, 20)}\` is one too many.`,
      );
    }
    values[key] = word;
  }
  return spikeFilter(values.lang, values.threshold);
}

export function spikeFilter(lang: string | undefined, threshold: string | undefined): FilterResult {
  const filter: FeedFilter = { kind: 'spikes' };
  if (lang !== undefined && lang !== '') {
    const language = feedLanguage(lang);
    if (language === undefined) {
      return fail(
        `\`${lang.slice(0, 20)}\` is not a language code; use a code such as de or en, or multi.`,
      );
    }
    Object.assign(filter, language);
  }
  if (threshold !== undefined && threshold !== '') {
    const value = Number(threshold);
    if (!Number.isInteger(value) || value < SPIKE_THRESHOLD.min || value > SPIKE_THRESHOLD.max) {
      return fail(
        `The threshold is how many times its usual pace a page must be edited: a whole number from ${SPIKE_THRESHOLD.min} to ${SPIKE_THRESHOLD.max}.`,
      );
    }
    filter.threshold = value;
  }
  return { ok: true, filter };
}

/** The filter as a user would type it again: shown by `!feed list` and in each delivery. */
export function describeFilter(filter: FeedFilter): string {
  const under = (text: string) => text.replace(/ /g, '_');
  const parts: string[] = [];
  if (filter.kind === 'spikes') parts.push('spikes');
  if (filter.language !== undefined)
    parts.push(`lang:${filter.language === '' ? 'multi' : filter.language}`);
  if (filter.wiki !== undefined) parts.push(`wiki:${filter.wiki}`);
  if (filter.namespaces) parts.push(`ns:${filter.namespaces.join(',')}`);
  if (filter.types) parts.push(`type:${filter.types.join(',')}`);
  if (filter.bots) parts.push(`bots:${filter.bots}`);
  if (filter.minor) parts.push(`minor:${filter.minor}`);
  if (filter.anon) parts.push(`anon:${filter.anon}`);
  if (filter.minSize !== undefined) parts.push(`size:${filter.minSize}`);
  if (filter.user !== undefined) parts.push(`user:${under(filter.user)}`);
  if (filter.title !== undefined) parts.push(`title:${under(filter.title)}`);
  if (filter.logType !== undefined) parts.push(`log:${filter.logType}`);
  if (filter.kind === 'spikes') parts.push(`×${filter.threshold ?? SPIKE_THRESHOLD.fallback}`);
  return parts.length === 0 ? 'every change' : parts.join(' ');
}

/**
 * The query string of the web page's filtered view (docs/bot.md names the parameters):
 * the same keys as the prefix form, so a link reads like the command that made the feed.
 * `parseFilterQuery` reads it back.
 */
export function filterQuery(filter: FeedFilter): URLSearchParams {
  const query = new URLSearchParams();
  if (filter.language !== undefined)
    query.set('lang', filter.language === '' ? 'multi' : filter.language);
  if (filter.wiki !== undefined) query.set('wiki', filter.wiki);
  if (filter.namespaces) query.set('ns', filter.namespaces.join(','));
  if (filter.types) query.set('type', filter.types.join(','));
  if (filter.bots) query.set('bots', filter.bots);
  if (filter.minor) query.set('minor', filter.minor);
  if (filter.anon) query.set('anon', filter.anon);
  if (filter.minSize !== undefined) query.set('size', String(filter.minSize));
  if (filter.user !== undefined) query.set('user', filter.user);
  if (filter.title !== undefined) query.set('title', filter.title);
  if (filter.logType !== undefined) query.set('log', filter.logType);
  return query;
}

/** A stored filter, checked again: a row another version wrote, or a hand edit, is refused. */
export function readStoredFilter(json: string): FeedFilter | undefined {
  try {
    const parsed = feedFilterSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
