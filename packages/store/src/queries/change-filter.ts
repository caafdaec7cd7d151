import type { FeedFilter } from '@wikipulse/events';

/**
 * A change filter (the one `!feed` and the web page's filtered view share) as a condition on
 * `changes`: fixed SQL with every user value passed as a query parameter. Each part mirrors
 * `matches()` in @wikipulse/events, so the stored changes a filter selects are the ones a feed
 * delivers live (queries.int.test.ts checks both agree on the same events).
 */
export interface FilterCondition {
  where: string;
  params: Record<string, unknown>;
}

/** An IP editor or a temporary account, as `isAnonymous()` reads the user name. */
const ANONYMOUS = `(startsWith(user, '~')
  OR match(user, '^[0-9]{1,3}([.][0-9]{1,3}){3}$')
  OR (position(user, ':') > 0 AND match(user, '^[0-9a-fA-F:]+$')))`;

/** Titles and user names are compared with underscores read as spaces, as typed in a filter. */
const TITLE = `replaceAll(title, '_', ' ')`;
const USER = `replaceAll(user, '_', ' ')`;

export function filterCondition(filter: FeedFilter): FilterCondition {
  if (filter.kind !== 'changes') {
    throw new RangeError('only a filter of changes selects stored changes (not spikes)');
  }
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (sql: string, name: string, value: unknown) => {
    parts.push(sql);
    params[name] = value;
  };
  if (filter.language !== undefined)
    add('language = {language:String}', 'language', filter.language);
  if (filter.wiki !== undefined) add('wiki = {wiki:String}', 'wiki', filter.wiki);
  if (filter.namespaces) {
    add('has({namespaces:Array(Int32)}, namespace)', 'namespaces', filter.namespaces);
  }
  if (filter.types) add('has({types:Array(String)}, toString(type))', 'types', filter.types);
  if (filter.bots) add('bot = {bots:Bool}', 'bots', filter.bots === 'only');
  if (filter.minor) add('minor = {minor:Bool}', 'minor', filter.minor === 'only');
  if (filter.anon) add(`${ANONYMOUS} = {anon:Bool}`, 'anon', filter.anon === 'only');
  if (filter.minSize !== undefined) {
    add(
      'length_new IS NOT NULL AND abs(assumeNotNull(length_new) - ifNull(length_old, 0)) >= {minSize:Int64}',
      'minSize',
      filter.minSize,
    );
  }
  if (filter.user !== undefined) add(`${USER} = {user:String}`, 'user', filter.user);
  if (filter.title !== undefined)
    add(`${TITLE} LIKE {title:String}`, 'title', likePattern(filter.title));
  if (filter.logType !== undefined) add('log_type = {logType:String}', 'logType', filter.logType);
  return { where: parts.length === 0 ? '1' : parts.join(' AND '), params };
}

/**
 * A `title:` filter as a LIKE pattern: a prefix without `*`, else the whole title with `*` for
 * any run. The title's own `%`, `_` and `\` are escaped, so only the filter's `*` is a wildcard;
 * LIKE never backtracks, as the live matcher does not.
 */
export function likePattern(title: string): string {
  const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const parts = title.split('*').map(literal);
  return title.includes('*') ? parts.join('%') : `${parts[0]!}%`;
}
