import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { DedupWindow } from './dedup.js';
import { createFilter } from './filters.js';

const base = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: {
    id: '0d1fb63c-68b1-4abc-9db6-ed9397a5c8be',
    dt: '2026-09-17T03:42:33.778Z',
    stream: 'mediawiki.recentchange',
    domain: 'en.wikipedia.org',
  },
  type: 'edit',
  wiki: 'enwiki',
  server_name: 'en.wikipedia.org',
  title: 'Example',
};

describe('classify', () => {
  const all = createFilter({ wikis: [], langs: [] });

  it('accepts a valid event once, then drops its repeat as a duplicate', () => {
    const dedup = new DedupWindow(10);
    const text = JSON.stringify(base);
    expect(classify(text, dedup, all)).toMatchObject({
      kind: 'accept',
      event: { title: 'Example' },
    });
    expect(classify(text, dedup, all)).toEqual({ kind: 'drop', reason: 'duplicate' });
  });

  it('sends invalid events to the dead letters with the reason', () => {
    const dedup = new DedupWindow(10);
    expect(classify('{"meta":', dedup, all)).toMatchObject({
      kind: 'dead',
      reason: 'invalid_json',
    });
    expect(classify(JSON.stringify({ ...base, namespace: 'Talk' }), dedup, all)).toMatchObject({
      kind: 'dead',
      reason: 'schema',
    });
    expect(
      classify(JSON.stringify({ ...base, meta: { ...base.meta, id: 'nope' } }), dedup, all),
    ).toMatchObject({ kind: 'dead', reason: 'missing_id' });
    expect(dedup.size).toBe(0);
  });

  it('drops canaries and filtered events without remembering their ids', () => {
    const dedup = new DedupWindow(10);
    const canary = JSON.stringify({ ...base, meta: { ...base.meta, domain: 'canary' } });
    expect(classify(canary, dedup, all)).toEqual({ kind: 'drop', reason: 'canary' });
    const onlyDe = createFilter({ wikis: [], langs: ['de'] });
    expect(classify(JSON.stringify(base), dedup, onlyDe)).toEqual({
      kind: 'drop',
      reason: 'filtered',
    });
    expect(dedup.size).toBe(0);
  });
});
