import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RecentChange } from './types.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (
  ajv: Ajv,
  options: { mode: 'fast' | 'full' },
) => Ajv;

const schema = JSON.parse(
  readFileSync(new URL('../schema/recentchange-schema-1.0.1.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

// The schema names draft-07 by its https address, which ajv does not register; its keywords
// are plain draft-07, so the meta-schema check is skipped rather than the schema edited.
const ajv = new Ajv({ allErrors: false, strict: false, validateSchema: false });
// "fast" checks formats by pattern alone (a date-time's shape, a URI's scheme and no spaces)
// instead of the full grammars and calendar checks, which cost a fifth of validation on the
// ingest path; the schema's types, required fields and enums are checked all the same.
addFormats(ajv, { mode: 'fast' });
const validateSchema = ajv.compile<RecentChange>(schema);

/** Why an event was refused; becomes the dead-letter `reason` header. */
export type RejectReason = 'invalid_json' | 'not_an_object' | 'schema' | 'missing_id';

export type ParseResult =
  { ok: true; event: RecentChange } | { ok: false; reason: RejectReason; detail: string };

/** Canonical UUID text: what EventStreams puts in `meta.id`. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses and validates one event's JSON text: the recentchange schema, plus what Wikipulse
 * itself relies on, a UUID `meta.id` to deduplicate on.
 */
export function parseEvent(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'invalid_json', detail: (error as Error).message };
  }
  return validateEvent(value);
}

export function validateEvent(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_an_object', detail: `got ${describe(value)}` };
  }
  if (!validateSchema(value)) {
    return { ok: false, reason: 'schema', detail: formatErrors(validateSchema.errors) };
  }
  const id = value.meta.id as unknown;
  if (typeof id !== 'string' || !UUID.test(id)) {
    return {
      ok: false,
      reason: 'missing_id',
      detail:
        id === undefined ? 'meta.id is absent' : `meta.id is not a UUID: ${JSON.stringify(id)}`,
    };
  }
  return { ok: true, event: value };
}

/** Synthetic monitoring events (`meta.domain == "canary"`), not real changes. */
export function isCanary(event: RecentChange): boolean {
  return event.meta.domain === 'canary';
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'does not match the recentchange schema';
  const where =
    first.instancePath === '' ? '(event)' : first.instancePath.slice(1).replace(/\//g, '.');
  return `${where} ${first.message ?? 'is invalid'}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
