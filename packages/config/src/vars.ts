import { z } from 'zod';

const TRUE_WORDS = ['true', '1', 'yes'];
const BOOLEAN_WORDS = z.enum(['true', 'false', '1', '0', 'yes', 'no']);

/** Reusable variable types: environment values are strings, these coerce and validate them. */
export const envVar = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().nonnegative().default(fallback),
  boolean: (fallback: boolean) =>
    BOOLEAN_WORDS.default(fallback ? 'true' : 'false').transform((v) => TRUE_WORDS.includes(v)),
  /** A boolean whose absence means something of its own (undefined). */
  flag: () => BOOLEAN_WORDS.transform((v) => TRUE_WORDS.includes(v)),
  /** A comma-separated list; blanks are dropped. */
  list: () =>
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      ),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** An empty variable counts as unset, as deployments often template them empty. */
  optional: <T extends z.ZodType>(schema: T) =>
    z.preprocess((value) => (value === '' ? undefined : value), schema.optional()),
} as const;
