import { describe, expect, it } from 'vitest';
import { readVerdicts, VerdictWriter, type VerdictHandler } from './verdicts.js';

function recorder(calls: unknown[]): VerdictHandler {
  return {
    accept: (value, metaId, key, dtMs, at) =>
      calls.push(['accept', value.toString(), metaId, key, dtMs, at]),
    drop: (reason) => calls.push(['drop', reason]),
    dead: (value, reason, detail, position, at) =>
      calls.push(['dead', value.toString(), reason, detail, position, at]),
    passed: () => calls.push(['passed']),
  };
}

describe('the verdict codec', () => {
  it('reads back every verdict written, in order, with its event and the receipt time', () => {
    const out = new VerdictWriter();
    out.dead('schema', 'bad', 'p1');
    out.canary();
    out.accept('m', 'k', 7);
    out.filtered();
    out.accept('n', 'enwiki|A', Number.NaN);
    const calls: unknown[] = [];
    readVerdicts(
      out.encoded,
      [Buffer.from('x'), Buffer.alloc(0), Buffer.from('y'), Buffer.alloc(0), Buffer.from('z')],
      5,
      42,
      recorder(calls),
    );
    expect(calls).toEqual([
      ['dead', 'x', 'schema', 'bad', 'p1', 42],
      ['drop', 'canary'],
      ['accept', 'y', 'm', 'k', 7, 42],
      ['drop', 'filtered'],
      ['accept', 'z', 'n', 'enwiki|A', Number.NaN, 42],
    ]);
  });

  it('refuses verdicts that do not match the events', () => {
    const one = new VerdictWriter();
    one.canary();
    expect(() => readVerdicts(one.encoded, [], 0, 1, recorder([]))).toThrow(/left over/);
    expect(() => readVerdicts([9], [Buffer.alloc(0)], 1, 1, recorder([]))).toThrow(/tag 9/);
    expect(() => readVerdicts([], [], 1, 1, recorder([]))).toThrow(/tag undefined/);
  });
});
