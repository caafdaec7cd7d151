/**
 * Pure parsing of prefix commands: text in, a command name and arguments out. Everything a
 * user types passes through here first, so it bounds sizes before any other code sees it.
 */

/** Longer messages are refused outright; no command needs more. */
export const MAX_COMMAND_LENGTH = 400;
export const MAX_ARGS = 12;

export type ParsedLine =
  | { kind: 'none' }
  | { kind: 'command'; name: string; args: string[] }
  | { kind: 'too_long' }
  | { kind: 'too_many_args'; name: string };

/**
 * Reads `!name arg1 arg2 …`. Text that does not start with the prefix is not a command
 * (`none`), so ordinary chat is ignored. Names are case-insensitive (`!setLang` = `!setlang`).
 */
export function parseCommandLine(text: string, prefix = '!'): ParsedLine {
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix) || trimmed.length === prefix.length) return { kind: 'none' };
  if (trimmed.length > MAX_COMMAND_LENGTH) return { kind: 'too_long' };
  const tokens = trimmed
    .slice(prefix.length)
    .split(/\s+/u)
    .filter((t) => t !== '');
  const [first, ...args] = tokens;
  if (first === undefined) return { kind: 'none' };
  const name = first.toLowerCase();
  if (args.length > MAX_ARGS) return { kind: 'too_many_args', name };
  return { kind: 'command', name, args };
}

/** A whole non-negative decimal number within [min, max], or undefined. */
export function parseInteger(token: string, min: number, max: number): number | undefined {
  if (!/^\d{1,9}$/.test(token)) return undefined;
  const value = Number(token);
  return value >= min && value <= max ? value : undefined;
}

export function isNumeric(token: string): boolean {
  return /^[+-]?\d+$/.test(token);
}

export type DayResult =
  { ok: true; day: string } | { ok: false; reason: 'format' | 'invalid' | 'future' | 'expired' };

/**
 * `YYYY-MM-DD`, `today` or `yesterday` (UTC) → a calendar day that exists, is not in the future
 * and is within the kept history.
 */
export function parseDay(token: string, now: Date, retentionDays: number): DayResult {
  const today = now.toISOString().slice(0, 10);
  const lower = token.toLowerCase();
  if (lower === 'today') return { ok: true, day: today };
  if (lower === 'yesterday') {
    return { ok: true, day: new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10) };
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(token)) return { ok: false, reason: 'format' };
  const date = new Date(`${token}T00:00:00.000Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== token) {
    return { ok: false, reason: 'invalid' };
  }
  if (token > today) return { ok: false, reason: 'future' };
  const oldest = new Date(Date.parse(`${today}T00:00:00.000Z`) - retentionDays * 86_400_000);
  if (date < oldest) return { ok: false, reason: 'expired' };
  return { ok: true, day: token };
}

export function looksLikeDay(token: string): boolean {
  return /^\d{4}-\d{1,2}-\d{1,2}$/.test(token) || /^(today|yesterday)$/i.test(token);
}
