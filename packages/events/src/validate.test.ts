import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCanary, parseEvent, validateEvent } from './validate.js';

const fixtures = new URL('../../replay/recordings/', import.meta.url);
const recorded = readdirSync(fixtures)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) =>
    readFileSync(new URL(f, fixtures), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== ''),
  );

const valid = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: {
    id: '0d1fb63c-68b1-4abc-9db6-ed9397a5c8be',
    dt: '2026-09-17T03:42:33.778Z',
    stream: 'mediawiki.recentchange',
    domain: 'en.wikipedia.org',
  },
  type: 'edit',
  wiki: 'enwiki',
};

describe('parseEvent', () => {
  it('accepts every recorded event', () => {
    expect(recorded.length).toBeGreaterThan(100);
    for (const line of recorded) {
      const result = parseEvent(line);
      expect(result, line.slice(0, 120)).toMatchObject({ ok: true });
    }
  });

  it.each([
    ['{"meta":', 'invalid_json'],
    ['[1,2]', 'not_an_object'],
    ['"text"', 'not_an_object'],
    ['null', 'not_an_object'],
    [JSON.stringify({ meta: valid.meta }), 'schema'],
    [JSON.stringify({ ...valid, meta: { ...valid.meta, dt: 'yesterday' } }), 'schema'],
    [JSON.stringify({ ...valid, namespace: 'Talk' }), 'schema'],
    [JSON.stringify({ ...valid, meta: { ...valid.meta, id: undefined } }), 'missing_id'],
    [JSON.stringify({ ...valid, meta: { ...valid.meta, id: 'not-a-uuid' } }), 'missing_id'],
  ])('refuses %s as %s', (text, reason) => {
    const result = parseEvent(text);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.detail.length).toBeGreaterThan(0);
  });

  it('names the offending field', () => {
    const result = validateEvent({ ...valid, namespace: 'Talk' });
    expect(result).toEqual({ ok: false, reason: 'schema', detail: 'namespace must be integer' });
  });

  it('keeps unknown properties', () => {
    const result = parseEvent(JSON.stringify({ ...valid, title_url: 'https://x' }));
    expect(result.ok && result.event['title_url']).toBe('https://x');
  });
});

describe('isCanary', () => {
  it('recognises canary events by meta.domain', () => {
    expect(isCanary({ ...valid, meta: { ...valid.meta, domain: 'canary' } })).toBe(true);
    expect(isCanary(valid)).toBe(false);
  });
});
