import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from './log.js';
import {
  EventStreamsServer,
  parseSince,
  sseId,
  startEventStreamsServer,
  timestampOfId,
} from './server.js';

const lines = [
  JSON.stringify({
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: 'a',
      dt: '2020-01-01T00:00:00Z',
      stream: 'mediawiki.recentchange',
      domain: 'en.wikipedia.org',
    },
    wiki: 'enwiki',
    title: 'A',
  }),
  JSON.stringify({
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      dt: '2020-01-01T00:00:01Z',
      id: 'b',
      stream: 'mediawiki.recentchange',
      domain: 'de.wikipedia.org',
    },
    wiki: 'dewiki',
    title: 'B',
  }),
];

/** Reads a stream's raw text until `bytes` arrived or it ends. */
async function readRaw(
  url: string,
  headers: Record<string, string> = {},
  minEvents = 1,
): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while ((text.match(/\n\n/g) ?? []).length < minEvents + 1) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  return text;
}

function events(text: string): { id: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: message'))
    .map((block) => {
      const [, id, data] = block.split('\n');
      return { id: id!.slice('id: '.length), data: data!.slice('data: '.length) };
    });
}

describe('EventLog', () => {
  it('plays lines verbatim on the first pass and with fresh ids and times after', () => {
    const log = new EventLog({ lines, verbatimFirstPass: true, startMs: 1000, stepMs: 0.5 });
    expect(log.entryAt(0)).toMatchObject({
      kind: 'event',
      data: lines[0],
      metaId: 'a',
      timestamp: 1000,
    });
    const later = log.entryAt(3)!;
    const parsed = JSON.parse(later.data) as { meta: { id: string; dt: string }; title: string };
    expect(parsed.title).toBe('B');
    expect(parsed.meta.id).toBe(later.metaId);
    expect(parsed.meta.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(parsed.meta.dt).toBe(new Date(1001).toISOString());
    expect(log.entryAt(3)).toEqual(later);
    expect(log.timestampAt(3)).toBe(1001);
  });

  it('finds the first entry at or after a time', () => {
    const log = new EventLog({ lines, startMs: 1000, stepMs: 0.5 });
    expect(log.indexAtOrAfter(0)).toBe(0);
    expect(log.indexAtOrAfter(1001)).toBe(2);
    expect(log.timestampAt(log.indexAtOrAfter(1500))).toBe(1500);
  });

  it('injects canaries, malformed events and duplicates at fixed slots, and stops at the limit', () => {
    const log = new EventLog({
      lines,
      limit: 12,
      canaryEvery: 4,
      malformedEvery: 5,
      duplicateEvery: 3,
    });
    const kinds = Array.from({ length: 12 }, (_, i) => log.entryAt(i)!.kind);
    expect(kinds).toEqual([
      'event',
      'event',
      'duplicate',
      'canary',
      'malformed',
      'duplicate',
      'event',
      'canary',
      'duplicate',
      'malformed',
      'event',
      'canary',
    ]);
    expect(log.entryAt(2)!.metaId).toBe(log.entryAt(1)!.metaId);
    expect(JSON.parse(log.entryAt(3)!.data)).toMatchObject({ meta: { domain: 'canary' } });
    expect(log.entryAt(12)).toBeUndefined();
  });
  it("writes the same bytes as each entry's data, and nothing when they do not fit", () => {
    const mixed = [...lines, 'not json', JSON.stringify({ meta: { id: 'c' }, title: 'Zürich ✓' })];
    const log = new EventLog({
      lines: mixed,
      verbatimFirstPass: true,
      limit: 40,
      canaryEvery: 7,
      malformedEvery: 5,
      duplicateEvery: 3,
      startMs: 1000,
      stepMs: 0.3,
    });
    for (let i = 0; i < 40; i += 1) {
      const expected = Buffer.from(log.entryAt(i)!.data);
      const out = Buffer.alloc(expected.length + 10, 0xff);
      expect(log.writeData(i, out, 3)).toBe(3 + expected.length);
      expect(out.subarray(3, 3 + expected.length).equals(expected)).toBe(true);
      expect(out[3 + expected.length]).toBe(0xff);
      const small = Buffer.alloc(expected.length - 1 + 3);
      expect(log.writeData(i, small, 3)).toBe(-1);
    }
  });
});

describe('EventStreamsServer', () => {
  let server: EventStreamsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('speaks the wire format: :ok first, then event, id and data lines', async () => {
    const before = Date.now();
    server = await startEventStreamsServer({
      lines,
      verbatimFirstPass: true,
      startMs: 5000,
      record: true,
    });
    const text = await readRaw(server.url, {}, 2);
    expect(text.startsWith(':ok\n\n')).toBe(true);
    const [first, second] = events(text);
    expect(first).toEqual({ id: sseId(5000), data: lines[0] });
    expect(second!.data).toBe(lines[1]);
    expect(JSON.parse(first!.id)).toEqual([
      { topic: 'eqiad.mediawiki.recentchange', partition: 0, timestamp: 5000 },
      { topic: 'codfw.mediawiki.recentchange', partition: 0, offset: -1 },
    ]);
    expect(server.sent[0]).toMatchObject({ index: 0, connection: 1, id: sseId(5000) });
    expect(server.sent[0]!.sentAt).toBeGreaterThanOrEqual(before);
    expect(server.sent[0]!.sentAt).toBeLessThanOrEqual(Date.now());
  });

  it('resumes from Last-Event-ID and since, replaying the events at that time', async () => {
    server = await startEventStreamsServer({ lines, startMs: 5000, stepMs: 0.5, limit: 20 });
    const resumed = events(await readRaw(server.url, { 'Last-Event-ID': sseId(5003) }, 1));
    expect(resumed[0]!.id).toBe(sseId(5003));
    expect(resumed[0]!.data).toBe(server.log.entryAt(6)!.data);
    const since = events(
      await readRaw(`${server.url}?since=${new Date(5004).toISOString()}`, {}, 1),
    );
    expect(since[0]!.data).toBe(server.log.entryAt(8)!.data);
    expect(server.requests.map((r) => r.lastEventId ?? null)).toEqual([sseId(5003), null]);
    expect((await fetch(server.url, { headers: { 'Last-Event-ID': 'nonsense' } })).status).toBe(
      400,
    );
  });

  it('answers 429 with Retry-After when told, then serves again', async () => {
    server = await startEventStreamsServer({ lines });
    server.rejectNext(1, 7);
    const rejected = await fetch(server.url);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toBe('7');
    expect(events(await readRaw(server.url, {}, 1)).length).toBeGreaterThan(0);
    expect(server.counters.rejected).toBe(1);
  });

  it('closes each connection after N events', async () => {
    server = await startEventStreamsServer({ lines, closeEveryEvents: 3 });
    const response = await fetch(server.url);
    const text = await response.text();
    expect(events(text)).toHaveLength(3);
    expect(server.counters.closedByServer).toBe(1);
  });

  it('plays at a given rate', async () => {
    server = await startEventStreamsServer({ lines, rate: 200 });
    const response = await fetch(server.url);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await response.body!.cancel();
    expect(server.counters.events).toBeGreaterThan(30);
    expect(server.counters.events).toBeLessThan(160);
  });

  it('reads positions and since values as Wikimedia does', () => {
    expect(timestampOfId(sseId(42))).toBe(42);
    expect(timestampOfId('[{"topic":"t","partition":0,"offset":3}]')).toBeUndefined();
    expect(parseSince('1700000000000')).toBe(1_700_000_000_000);
    expect(parseSince('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(parseSince('later')).toBeUndefined();
  });
});
