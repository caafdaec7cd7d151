import type { z } from 'zod';

/**
 * A `when` for rules between a group of variables: run once these variables parsed, whatever
 * other variables' problems (zod skips an object's refinements after any problem otherwise).
 */
export function onceParsed(shape: Readonly<Record<string, unknown>>) {
  const names = new Set(Object.keys(shape));
  return (payload: z.core.ParsePayload): boolean =>
    !payload.issues.some((issue) => names.has(String(issue.path?.[0])));
}
