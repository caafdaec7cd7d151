import { describe, expect, it } from 'vitest';
import { sameConditions, setCondition } from './conditions.js';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const ready = { type: 'Ready', observedGeneration: 1 } as const;

describe('setCondition', () => {
  it('adds a condition with a whole-second transition time', () => {
    const list = setCondition(
      [],
      { ...ready, status: 'True', reason: 'Reconciled', message: 'ok' },
      t0,
    );
    expect(list).toEqual([
      {
        ...ready,
        status: 'True',
        reason: 'Reconciled',
        message: 'ok',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('keeps the transition time while the status stays, and moves it when the status changes', () => {
    const first = setCondition(
      [],
      { ...ready, status: 'True', reason: 'Reconciled', message: 'a' },
      t0,
    );
    const same = setCondition(
      first,
      { ...ready, status: 'True', reason: 'Reconciled', message: 'b' },
      t1,
    );
    expect(same[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]?.message).toBe('b');
    const flipped = setCondition(
      same,
      { ...ready, status: 'False', reason: 'TopicFailed', message: 'c' },
      t1,
    );
    expect(flipped).toHaveLength(1);
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('leaves other conditions alone', () => {
    const both = setCondition(
      setCondition([], { ...ready, status: 'True', reason: 'Reconciled', message: '' }, t0),
      {
        type: 'Available',
        observedGeneration: 1,
        status: 'False',
        reason: 'DeploymentsProgressing',
        message: '',
      },
      t1,
    );
    expect(both.map((c) => c.type)).toEqual(['Ready', 'Available']);
    expect(sameConditions(both, [...both].reverse())).toBe(true);
    expect(sameConditions(both, both.slice(1))).toBe(false);
  });
});
