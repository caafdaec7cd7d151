import { describe, expect, it } from 'vitest';
import { applyVerdicts, VERDICT, type VerdictHandler } from './classify.js';
import { createFilter } from './filters.js';
import { judgeBatch } from './judge.js';

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
  title: 'Café',
};
const all = createFilter({ wikis: [], langs: [] });

describe('judgeBatch', () => {
  it('accepts a valid event with its key, wiki and time, and keeps its UTF-8 bytes', () => {
    const text = JSON.stringify(base);
    const { verdicts, bytes, ends } = judgeBatch([text], all);
    expect(verdicts).toEqual([
      VERDICT.accept,
      base.meta.id,
      'enwiki|Café',
      'enwiki',
      Date.parse(base.meta.dt),
    ]);
    expect(Buffer.from(bytes).toString('utf8')).toBe(text);
    expect([...ends]).toEqual([Buffer.byteLength(text)]);
  });

  it('sends invalid events to the dead letters with the reason, bytes kept', () => {
    const texts = [
      '{"meta":',
      JSON.stringify({ ...base, namespace: 'Talk' }),
      JSON.stringify({ ...base, meta: { ...base.meta, id: 'nope' } }),
    ];
    const { verdicts, bytes } = judgeBatch(texts, all);
    expect(verdicts.filter((v) => v === VERDICT.dead)).toHaveLength(3);
    expect(verdicts).toContain('invalid_json');
    expect(verdicts).toContain('schema');
    expect(verdicts).toContain('missing_id');
    expect(Buffer.from(bytes).toString('utf8')).toBe(texts.join(''));
  });

  it('drops canaries and filtered events without keeping their text', () => {
    const canary = JSON.stringify({ ...base, meta: { ...base.meta, domain: 'canary' } });
    const onlyDe = createFilter({ wikis: [], langs: ['de'] });
    const { verdicts, bytes, ends } = judgeBatch([canary, JSON.stringify(base)], onlyDe);
    expect(verdicts).toEqual([VERDICT.canary, VERDICT.filtered]);
    expect(bytes.byteLength).toBe(0);
    expect([...ends]).toEqual([0, 0]);
  });
});

describe('applyVerdicts', () => {
  it('hands every verdict on in order with its event, position and receipt time', () => {
    const calls: unknown[] = [];
    const handler: VerdictHandler = {
      accept: (value, id, at, metaId, key, wiki, dtMs) =>
        calls.push(['accept', value.toString(), id, at, metaId, key, wiki, dtMs]),
      drop: (id, at, reason) => calls.push(['drop', id, at, reason]),
      dead: (value, id, at, reason, detail) =>
        calls.push(['dead', value.toString(), id, at, reason, detail]),
    };
    applyVerdicts(
      [VERDICT.dead, 'schema', 'bad', VERDICT.canary, VERDICT.accept, 'm', 'k', null, 7],
      [Buffer.from('x'), Buffer.alloc(0), Buffer.from('y')],
      ['p1', 'p2', 'p3'],
      [1, 2, 3],
      handler,
    );
    expect(calls).toEqual([
      ['dead', 'x', 'p1', 1, 'schema', 'bad'],
      ['drop', 'p2', 2, 'canary'],
      ['accept', 'y', 'p3', 3, 'm', 'k', undefined, 7],
    ]);
  });

  it('refuses verdicts that do not match the events', () => {
    const handler: VerdictHandler = { accept: () => {}, drop: () => {}, dead: () => {} };
    expect(() => applyVerdicts([VERDICT.canary], [], [], [], handler)).toThrow(/left over/);
    expect(() => applyVerdicts([9], [Buffer.alloc(0)], ['p'], [1], handler)).toThrow(/tag 9/);
  });
});
