import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';
import { DedupWindow } from './dedup.js';
import { Intake } from './intake.js';
import { IngestorStats } from './metrics.js';

function intake() {
  const stats = new IngestorStats();
  const batcher = new Batcher({
    writer: { write: () => Promise.resolve() },
    maxEvents: 100,
    maxBytes: 1_000_000,
    lingerMs: 1_000,
    maxInFlight: 1,
    onAcked: () => undefined,
    onError: () => undefined,
  });
  return { stats, intake: new Intake(new DedupWindow(10), batcher, stats) };
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const value = Buffer.from('{}');

describe('Intake', () => {
  it('reports the lag of the newest accepted event, from the first event on', () => {
    const { stats, intake: i } = intake();
    const received = Date.parse('2026-12-06T12:00:00Z');
    // A replay's first event, recorded weeks ago, then live ones.
    i.accept(value, id(1), 'k', received - 80 * 86_400_000, received);
    expect(stats.lagSeconds).toBe(80 * 86_400);
    i.accept(value, id(2), 'k', received - 2_000, received);
    expect(stats.lagSeconds).toBe(2);
    // An unparsable date leaves the last lag; a duplicate neither counts nor moves it.
    i.accept(value, id(3), 'k', Number.NaN, received);
    expect(stats.lagSeconds).toBe(2);
    i.accept(value, id(2), 'k', received - 9_000, received);
    expect(stats.lagSeconds).toBe(2);
    expect(stats.dropped.duplicate).toBe(1);
  });
});
