import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_BYTES } from '@wikipulse/kafka';
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

function submission(data: string[]): { data: string[]; positions: string } {
  return { data, positions: data.map((_, i) => `p${i}`).join('\n') };
}

describe('judgeBatch', () => {
  it('accepts a valid event with its key, wiki and time, and keeps its UTF-8 bytes', () => {
    const text = JSON.stringify(base);
    const { verdicts, bytes, ends } = judgeBatch(submission([text]), {
      filter: all,
      maxEventBytes: 1_000_000,
    });
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

  it('sends invalid events to the dead letters with the reason and position, bytes kept', () => {
    const texts = [
      '{"meta":',
      JSON.stringify(base),
      JSON.stringify({ ...base, namespace: 'Talk' }),
      JSON.stringify({ ...base, meta: { ...base.meta, id: 'nope' } }),
    ];
    const { verdicts, bytes } = judgeBatch(submission(texts), {
      filter: all,
      maxEventBytes: 1_000_000,
    });
    const dead = verdicts.flatMap((v, i) =>
      v === VERDICT.dead ? [[verdicts[i + 1], verdicts[i + 3]]] : [],
    );
    expect(dead).toEqual([
      ['invalid_json', 'p0'],
      ['schema', 'p2'],
      ['missing_id', 'p3'],
    ]);
    expect(Buffer.from(bytes).toString('utf8')).toBe(texts.join(''));
  });

  it('dead-letters an event larger than the limit, keeping a truncated copy', () => {
    // Large, multi-byte and valid: only its size is wrong.
    const huge = JSON.stringify({ ...base, comment: 'Zürich 日本 '.repeat(20_000) });
    const texts = [JSON.stringify(base), huge, JSON.stringify({ ...base, title: 'After' })];
    const { verdicts, bytes, ends } = judgeBatch(submission(texts), {
      filter: all,
      maxEventBytes: 100_000,
    });
    expect(verdicts.filter((v) => typeof v === 'number' && v <= 3)).toEqual([
      VERDICT.accept,
      VERDICT.dead,
      VERDICT.accept,
    ]);
    const at = verdicts.indexOf(VERDICT.dead);
    expect(verdicts[at + 1]).toBe('too_large');
    expect(verdicts[at + 2]).toContain(`${Buffer.byteLength(huge)} bytes`);
    expect(verdicts[at + 3]).toBe('p1');
    const kept = Buffer.from(bytes).subarray(ends[0], ends[1]).toString('utf8');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
    expect(huge.startsWith(kept)).toBe(true);
    expect(kept.length).toBeGreaterThan(DEAD_LETTER_MAX_BYTES / 4);
  });

  it('drops canaries and filtered events without keeping their text', () => {
    const canary = JSON.stringify({ ...base, meta: { ...base.meta, domain: 'canary' } });
    const onlyDe = createFilter({ wikis: [], langs: ['de'] });
    const { verdicts, bytes, ends } = judgeBatch(submission([canary, JSON.stringify(base)]), {
      filter: onlyDe,
      maxEventBytes: 1_000_000,
    });
    expect(verdicts).toEqual([VERDICT.canary, VERDICT.filtered]);
    expect(bytes.byteLength).toBe(0);
    expect([...ends]).toEqual([0, 0]);
  });
});

describe('applyVerdicts', () => {
  it('hands every verdict on in order with its event and the receipt time', () => {
    const calls: unknown[] = [];
    const handler: VerdictHandler = {
      accept: (value, metaId, key, wiki, dtMs, at) =>
        calls.push(['accept', value.toString(), metaId, key, wiki, dtMs, at]),
      drop: (reason) => calls.push(['drop', reason]),
      dead: (value, reason, detail, position, at) =>
        calls.push(['dead', value.toString(), reason, detail, position, at]),
      passed: () => calls.push(['passed']),
    };
    applyVerdicts(
      [VERDICT.dead, 'schema', 'bad', 'p1', VERDICT.canary, VERDICT.accept, 'm', 'k', null, 7],
      [Buffer.from('x'), Buffer.alloc(0), Buffer.from('y')],
      3,
      42,
      handler,
    );
    expect(calls).toEqual([
      ['dead', 'x', 'schema', 'bad', 'p1', 42],
      ['drop', 'canary'],
      ['accept', 'y', 'm', 'k', undefined, 7, 42],
    ]);
  });

  it('refuses verdicts that do not match the events', () => {
    const handler: VerdictHandler = {
      accept: () => {},
      drop: () => {},
      dead: () => {},
      passed: () => {},
    };
    expect(() => applyVerdicts([VERDICT.canary], [], 0, 1, handler)).toThrow(/left over/);
    expect(() => applyVerdicts([9], [Buffer.alloc(0)], 1, 1, handler)).toThrow(/tag 9/);
  });
});
