import { describe, expect, it } from 'vitest';
import { busiestHour, dayOnDay, digestScope, previousDay } from './report.js';

describe('the digest report', () => {
  it('reads its scope: all, a language, a multilingual wiki, or nothing it knows', () => {
    expect(digestScope(undefined)).toEqual({ label: 'all', scope: { language: null } });
    expect(digestScope('ALL')?.scope).toEqual({ language: null });
    expect(digestScope('de')).toEqual({ label: 'de', scope: { language: 'de' } });
    expect(digestScope('commons')).toEqual({
      label: 'commons',
      scope: { language: '', wiki: 'commonswiki' },
    });
    expect(digestScope('klingon')).toBeUndefined();
  });

  it('finds the busiest hour over every type, the earliest of equals', () => {
    expect(
      busiestHour([
        { hour: 3, type: 'edit', changes: 5 },
        { hour: 7, type: 'edit', changes: 4 },
        { hour: 7, type: 'log', changes: 2 },
        { hour: 9, type: 'new', changes: 6 },
      ]),
    ).toEqual({ hour: 7, changes: 6 });
    expect(busiestHour([])).toEqual({ hour: 0, changes: 0 });
  });

  it('compares with the day before', () => {
    expect(dayOnDay(150, 100)).toBe('+50.0% on the day before');
    expect(dayOnDay(75, 100)).toBe('−25.0% on the day before');
    expect(dayOnDay(100, 100)).toBe('±0.0% on the day before');
    expect(dayOnDay(10, 0)).toBe('none stored the day before');
  });

  it('reports the UTC day before', () => {
    expect(previousDay(new Date('2026-03-01T00:30:00Z'))).toBe('2026-02-28');
  });
});
