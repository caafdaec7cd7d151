import { describe, expect, it } from 'vitest';
import { recordedEvents, takeFreshEvents } from './recordings.js';

describe('fresh events', () => {
  it('cycle the recordings with unique ids and increasing times', () => {
    const templates = recordedEvents();
    const events = takeFreshEvents(templates.length * 2 + 1, {
      startMs: Date.UTC(2026, 0, 1),
      stepMs: 10,
    });
    const ids = new Set(events.map((e) => (e['meta'] as { id: string }).id));
    expect(ids.size).toBe(events.length);
    expect((events[0]!['meta'] as { dt: string }).dt).toBe('2026-01-01T00:00:00.000Z');
    expect((events[1]!['meta'] as { dt: string }).dt).toBe('2026-01-01T00:00:00.010Z');
    expect(events[templates.length]!['title']).toBe(templates[0]!['title']);
  });
});
