import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording, recordingsDir } from '@wikipulse/replay';

/** Every bundled JSONL recording's events, one JSON text each, in file-name order. */
export function recordedLines(): string[] {
  return readdirSync(recordingsDir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readRecording(join(recordingsDir, f)));
}

/** Every bundled JSONL recording's events, parsed. */
export function recordedEvents(): Record<string, unknown>[] {
  return recordedLines().map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface FreshEventsOptions {
  /** Templates (real events); the bundled recordings when absent. */
  templates?: readonly Record<string, unknown>[];
  /** Event time of the first event, epoch ms. */
  startMs?: number;
  /** Event time step between consecutive events, ms. */
  stepMs?: number;
}

/**
 * Real-shaped events without end: the recordings cycled, each copy with a fresh `meta.id`
 * and a new `meta.dt` (and `timestamp`), for benchmarks and long replays.
 */
export function* freshEvents(options: FreshEventsOptions = {}): Generator<Record<string, unknown>> {
  const templates = options.templates ?? recordedEvents();
  if (templates.length === 0) throw new Error('no template events');
  const step = options.stepMs ?? 20;
  let time = options.startMs ?? Date.now();
  for (let i = 0; ; i += 1) {
    const template = templates[i % templates.length]!;
    const meta = template['meta'] as Record<string, unknown>;
    yield {
      ...template,
      meta: { ...meta, id: randomUUID(), dt: new Date(time).toISOString() },
      timestamp: Math.floor(time / 1000),
    };
    time += step;
  }
}

/** The first `count` events of `freshEvents`. */
export function takeFreshEvents(
  count: number,
  options: FreshEventsOptions = {},
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const event of freshEvents(options)) {
    if (out.length >= count) break;
    out.push(event);
  }
  return out;
}
