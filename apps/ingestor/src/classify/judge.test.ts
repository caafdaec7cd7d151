import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_BYTES } from '@wikipulse/kafka';
import { createFilter } from '../filters.js';
import { judgeBatch, type JudgeRules } from './judge.js';
import { readVerdicts, type VerdictHandler } from './verdicts.js';

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

/** Judges a batch (positions p0, p1, …) and reads its verdicts back as the ingestor does. */
function judged(texts: string[], rules: JudgeRules, receivedAt = 42) {
  const judgement = judgeBatch(
    { data: texts, positions: texts.map((_, i) => `p${i}`).join('\n') },
    rules,
  );
  const text = Buffer.from(judgement.bytes);
  const values: Buffer[] = [];
  let start = 0;
  for (const end of judgement.ends) {
    values.push(text.subarray(start, end));
    start = end;
  }
  const calls: unknown[][] = [];
  const handler: VerdictHandler = {
    accept: (value, metaId, key, dtMs, at) =>
      calls.push(['accept', value.toString(), metaId, key, dtMs, at]),
    drop: (reason) => calls.push(['drop', reason]),
    dead: (value, reason, detail, position, at) =>
      calls.push(['dead', value.toString(), reason, detail, position, at]),
    passed: () => calls.push(['passed']),
  };
  readVerdicts(judgement.verdicts, values, texts.length, receivedAt, handler);
  return { calls, bytes: judgement.bytes };
}

describe('judgeBatch', () => {
  it('accepts a valid event with its key and time, and keeps its UTF-8 bytes', () => {
    const text = JSON.stringify(base);
    const { calls, bytes } = judged([text], { filter: all, maxEventBytes: 1_000_000 });
    expect(calls).toEqual([
      ['accept', text, base.meta.id, 'enwiki|Café', Date.parse(base.meta.dt), 42],
    ]);
    expect(bytes.byteLength).toBe(Buffer.byteLength(text));
  });

  it('sends invalid events to the dead letters with the reason and position, bytes kept', () => {
    const texts = [
      '{"meta":',
      JSON.stringify(base),
      JSON.stringify({ ...base, namespace: 'Talk' }),
      JSON.stringify({ ...base, meta: { ...base.meta, id: 'nope' } }),
    ];
    const { calls, bytes } = judged(texts, { filter: all, maxEventBytes: 1_000_000 });
    // Dead: the reason and the position; accepted: the meta.id.
    expect(calls.map((c) => (c[0] === 'dead' ? [c[0], c[2], c[4]] : [c[0], c[2]]))).toEqual([
      ['dead', 'invalid_json', 'p0'],
      ['accept', base.meta.id],
      ['dead', 'schema', 'p2'],
      ['dead', 'missing_id', 'p3'],
    ]);
    for (const [i, call] of calls.entries()) expect(call[1]).toBe(texts[i]);
    expect(Buffer.from(bytes).toString('utf8')).toBe(texts.join(''));
  });

  it('dead-letters an event larger than the limit, keeping a truncated copy', () => {
    // Large, multi-byte and valid: only its size is wrong.
    const huge = JSON.stringify({ ...base, comment: 'Zürich 日本 '.repeat(20_000) });
    const texts = [JSON.stringify(base), huge, JSON.stringify({ ...base, title: 'After' })];
    const { calls } = judged(texts, { filter: all, maxEventBytes: 100_000 });
    expect(calls.map((c) => c[0])).toEqual(['accept', 'dead', 'accept']);
    const [, kept, reason, detail, position] = calls[1] as string[];
    expect(reason).toBe('too_large');
    expect(detail).toContain(`${Buffer.byteLength(huge)} bytes`);
    expect(position).toBe('p1');
    expect(Buffer.byteLength(kept!)).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
    expect(huge.startsWith(kept!)).toBe(true);
    expect(kept!.length).toBeGreaterThan(DEAD_LETTER_MAX_BYTES / 4);
  });

  it('keeps every byte of a batch larger than its encoding room, and of the batch after it', () => {
    // Several accepted events of about 900 kB each, multi-byte (two- and three-byte UTF-8).
    const big = (n: number) =>
      JSON.stringify({ ...base, comment: `${n} Zürich 日本 `.repeat(60_000) });
    const texts = [big(1), JSON.stringify(base), big(2), big(3)];
    const rules = { filter: all, maxEventBytes: 2_000_000 };
    const first = judged(texts, rules);
    expect(first.calls.map((c) => c[0])).toEqual(['accept', 'accept', 'accept', 'accept']);
    for (const [i, call] of first.calls.entries()) expect(call[1]).toBe(texts[i]);
    expect(Buffer.from(first.bytes).equals(Buffer.from(texts.join('')))).toBe(true);
    // A small batch afterwards gets a buffer of exactly its own bytes.
    const small = JSON.stringify({ ...base, title: 'Ärger' });
    const after = judged([small], rules);
    expect(after.bytes.byteLength).toBe(Buffer.byteLength(small));
    expect(after.calls[0]![1]).toBe(small);
  });

  it('drops canaries and filtered events without keeping their text', () => {
    const canary = JSON.stringify({ ...base, meta: { ...base.meta, domain: 'canary' } });
    const onlyDe = createFilter({ wikis: [], langs: ['de'] });
    const { calls, bytes } = judged([canary, JSON.stringify(base)], {
      filter: onlyDe,
      maxEventBytes: 1_000_000,
    });
    expect(calls).toEqual([
      ['drop', 'canary'],
      ['drop', 'filtered'],
    ]);
    expect(bytes.byteLength).toBe(0);
  });
});
