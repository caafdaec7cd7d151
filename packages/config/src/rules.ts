import { z } from 'zod';

/** Reports a problem about one variable. */
export type Problem<Env> = (name: keyof Env & string, message: string) => void;

/**
 * A rule between some variables, for `.check()` on an app's schema. It runs once the variables
 * it reads parsed, whatever other variables' problems (zod skips an object's refinements after
 * any unparsable value otherwise), so its problems come together with theirs.
 */
export function rule<Env>(
  reads: readonly (keyof Env & string)[],
  check: (env: Env, problem: Problem<Env>) => void,
): z.core.$ZodCheck<Env> {
  const names = new Set<string>(reads);
  return z.superRefine<Env>(
    (env, ctx) =>
      check(env, (name, message) => ctx.addIssue({ code: 'custom', path: [name], message })),
    { when: (payload) => !payload.issues.some((issue) => names.has(String(issue.path?.[0]))) },
  );
}
