/**
 * Query-string parsing for the HTTP API: every parameter checked, every problem named, so a
 * caller gets a 400 that says what to fix.
 */
import { parseFilterQuery, type FeedFilter } from '@wikipulse/events';

export class BadRequest extends Error {}

/** Language codes as they appear in wiki host names (`en`, `zh-min-nan`), or '' for multilingual wikis. */
const LANGUAGE = /^(?:[a-z]{2,3}(?:-[a-z0-9]{2,8})*|simple)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function language(params: URLSearchParams, fallback: string): string {
  const value = params.get('lang');
  if (value === null) return fallback;
  const lang = value.trim().toLowerCase();
  if (lang.length > 24 || !LANGUAGE.test(lang)) {
    throw new BadRequest(
      `lang must be a language code such as en or zh-min-nan (or empty for multilingual wikis)`,
    );
  }
  return lang;
}

export function integer(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = params.get(name);
  if (value === null || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value))
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (n < min || n > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A UTC calendar day, `YYYY-MM-DD`, not in the future; today when absent. */
export function day(params: URLSearchParams, now: Date = new Date()): string {
  const today = now.toISOString().slice(0, 10);
  const value = params.get('date');
  if (value === null || value === '') return today;
  const match = DATE.exec(value);
  const parsed = match ? new Date(`${value}T00:00:00.000Z`) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    throw new BadRequest('date must be a real day written YYYY-MM-DD');
  }
  if (value > today)
    throw new BadRequest(`date ${value} is in the future (today is ${today}, UTC)`);
  return value;
}

/**
 * The filters of a feed's "+N more" link (docs/bot.md), read by the parser `!feed` uses, so the
 * page and the bot accept the same filters with the same errors. `others` are the route's own
 * parameters; any other name is refused rather than ignored.
 */
export function changeFilter(params: URLSearchParams, others: readonly string[]): FeedFilter {
  const result = parseFilterQuery(params, others);
  if (!result.ok) throw new BadRequest(result.error);
  return result.filter;
}

/** The feed a link came from (`feed=`), as `!feed` names feeds; null when absent. */
export function feedId(params: URLSearchParams): string | null {
  const value = params.get('feed');
  if (value === null || value === '') return null;
  if (!/^[a-z0-9]{1,16}$/.test(value)) {
    throw new BadRequest('feed must be a feed id as !feed list shows it, such as k3m9x2ab');
  }
  return value;
}
