import { describe, expect, it } from 'vitest';
import { recordedEvents } from '@wikipulse/testing';
import { decodeMessage } from './decode.js';

const event = recordedEvents()[0]!;
const meta = event['meta'] as Record<string, unknown>;
const value = (v: unknown) => ({
  value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
});

describe('decodeMessage', () => {
  it('maps a recorded event to its row', () => {
    const decoded = decodeMessage(value(event));
    expect(decoded.kind).toBe('row');
    if (decoded.kind === 'row') {
      expect(decoded.row.event_id).toBe(meta['id']);
      expect(decoded.row.wiki).toBe(event['wiki']);
    }
  });

  it('skips canary events', () => {
    expect(decodeMessage(value({ ...event, meta: { ...meta, domain: 'canary' } }))).toEqual({
      kind: 'skip',
      why: 'canary',
    });
  });

  it.each([
    ['empty_value', { value: null }],
    ['empty_value', { value: Buffer.alloc(0) }],
    ['invalid_json', value('{"meta":')],
    ['not_an_object', value([1])],
    ['schema', value({ meta: { dt: '2026-01-01T00:00:00Z' } })],
    ['missing_id', value({ ...event, meta: { ...meta, id: undefined } })],
    ['missing_id', value({ ...event, meta: { ...meta, id: 'not-a-uuid' } })],
  ])('dead-letters %s', (reason, message) => {
    const decoded = decodeMessage(message);
    expect(decoded).toMatchObject({ kind: 'dead', reason });
    if (decoded.kind === 'dead') expect(decoded.detail.length).toBeGreaterThan(0);
  });
});
