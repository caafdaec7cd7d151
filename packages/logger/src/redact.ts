import { pino } from 'pino';

/**
 * Discord puts the token of an interaction (valid 15 minutes, enough to post as the bot in that
 * channel) and of a webhook (valid until deleted) in the request path, so discord.js' errors
 * carry them in `url`, `message` and `stack`.
 */
const DISCORD_TOKEN_IN_PATH = /(\/(?:interactions|webhooks)\/\d+\/)[^/?#\s"'`<>]+/g;
/**
 * `scheme://user:password@host`: the whole userinfo goes (a user name can be a token), up to the
 * authority's last `@`, as a password may hold an unescaped one.
 */
const URL_USERINFO = /\b([a-z][a-z\d+.-]*:\/\/)[^/?#\s"'`<>]+@/gi;

const CENSOR = '[redacted]';

/** The text with every Discord interaction or webhook token and URL userinfo replaced. */
export function redactSecrets(text: string): string {
  return text.replace(DISCORD_TOKEN_IN_PATH, `$1${CENSOR}`).replace(URL_USERINFO, `$1${CENSOR}@`);
}

/** Deep enough for discord.js' `requestBody.json` (an embed inside a message inside a body). */
const MAX_DEPTH = 8;

/**
 * pino's error serializer, then every string in the result redacted: the message and stack with
 * their causes, and any field an error carries (`url`, `requestBody`, a client's `options`).
 */
export function serializeError(error: unknown): unknown {
  return redactDeep(pino.stdSerializers.err(error as Error), 0, new WeakSet());
}

function redactDeep(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
    // A URL (and anything else with toJSON) prints through it, userinfo included.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return redactDeep(toJSON.call(value) as unknown, depth + 1, seen);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      out[key] = redactDeep((value as Record<string, unknown>)[key], depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
