import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@wikipulse/logger';
import {
  readRecording,
  recordingsDir,
  sseId,
  startEventStreamsServer,
  type EventStreamsServer,
} from '@wikipulse/testing';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StreamClient, endOfFirstEvent, pieces, type ReconnectReason } from './stream.js';

const lines = readRecording(join(recordingsDir, 'multiwiki-2026-09-17-24.jsonl'));
const log = createLogger({ name: 'stream-test', level: 'silent' });

let server: EventStreamsServer | undefined;
let client: StreamClient | undefined;
afterEach(async () => {
  client?.stop();
  await server?.stop();
  client = undefined;
  server = undefined;
});

function connect(
  url: string,
  options: { position?: string; since?: string; stallTimeoutMs?: number } = {},
) {
  const received: { data: string; id: string }[] = [];
  const reconnects: { reason: ReconnectReason; delayMs: number; at: number }[] = [];
  client = new StreamClient({
    url,
    userAgent: 'Wikipulse-test/1.0 (test@example.org)',
    position: options.position,
    since: options.since,
    stallTimeoutMs: options.stallTimeoutMs ?? 10_000,
    reconnectMinMs: 20,
    reconnectMaxMs: 100,
    log,
    onMessage: (data, id) => received.push({ data, id }),
    onReconnect: (reason, delayMs) => reconnects.push({ reason, delayMs, at: Date.now() }),
  });
  client.start();
  return { received, reconnects };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('StreamClient', () => {
  it('sends the position as Last-Event-ID from the first request on, and resumes after every close', async () => {
    server = await startEventStreamsServer({
      lines,
      limit: 60,
      closeEveryEvents: 25,
      startMs: 10_000,
      stepMs: 1,
    });
    const start = sseId(10_010);
    const { received, reconnects } = connect(server.url, { position: start });
    await until(() => received.length > 0 && received[received.length - 1]!.id === sseId(10_059));
    expect(server.requests[0]!.lastEventId).toBe(start);
    // Each reconnect resumes at the last id seen, which the server replays once more.
    expect(server.requests.slice(1).map((r) => r.lastEventId)).toEqual([
      sseId(10_034),
      sseId(10_058),
    ]);
    expect(reconnects.map((r) => r.reason)).toEqual(['closed', 'closed']);
    const indices = new Set(received.map((r) => JSON.parse(r.id)[0].timestamp - 10_000));
    expect([...indices].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 10),
    );
    expect(client!.position).toBe(sseId(10_059));
  });

  it('sends a descriptive User-Agent', async () => {
    const { createServer } = await import('node:http');
    const agents: (string | undefined)[] = [];
    const probe = createServer((req, res) => {
      agents.push(req.headers['user-agent']);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    const { reconnects } = connect(`http://127.0.0.1:${port}/v2/stream/recentchange`);
    await until(() => reconnects.length > 0);
    client!.stop();
    await new Promise((resolve) => probe.close(resolve));
    expect(agents[0]).toBe('Wikipulse-test/1.0 (test@example.org)');
  });

  it('waits as long as a 429 tells it to', async () => {
    server = await startEventStreamsServer({ lines, limit: 10 });
    server.rejectNext(1, 1);
    const { received, reconnects } = connect(server.url);
    await until(() => received.length === 10);
    expect(reconnects[0]).toMatchObject({ reason: 'http_429', delayMs: 1000 });
    expect(server.counters.rejected).toBe(1);
  });

  it('reconnects when no byte arrives for the stall timeout', async () => {
    server = await startEventStreamsServer({ lines, limit: 30, rate: 200 });
    const { received, reconnects } = connect(server.url, { stallTimeoutMs: 300 });
    await until(() => received.length >= 5);
    server.stall();
    await until(
      () =>
        received.length > 0 &&
        received[received.length - 1]!.data === server!.log.entryAt(29)!.data,
    );
    expect(reconnects.map((r) => r.reason)).toContain('stall');
    expect(server.counters.connections).toBeGreaterThanOrEqual(2);
  });

  it('starts a backfill from since, then resumes by position', async () => {
    server = await startEventStreamsServer({
      lines,
      limit: 40,
      closeEveryEvents: 20,
      startMs: 50_000,
      stepMs: 1,
    });
    const { received } = connect(server.url, { since: new Date(50_015).toISOString() });
    await until(() => received.length > 0 && received[received.length - 1]!.id === sseId(50_039));
    expect(server.requests[0]).toEqual({
      lastEventId: undefined,
      since: '1970-01-01T00:00:50.015Z',
    });
    expect(server.requests[1]!.lastEventId).toBe(sseId(50_034));
    expect(JSON.parse(received[0]!.id)[0].timestamp).toBe(50_015);
  });
});

describe('pieces', () => {
  const text = (parts: { bytes: Buffer }[]) => parts.map((p) => p.bytes.toString());

  it('end on event boundaries, keep the unfinished rest, and split an event larger than a piece', () => {
    const event = (n: number, size = 100) => `id: ${n}\ndata: ${'x'.repeat(size)}\n\n`;
    const body = Buffer.from(
      Array.from({ length: 400 }, (_, n) => event(n)).join('') + 'id: 400\nda',
    );
    const parts = [...pieces(body)];
    expect(parts.every((p) => p.bytes.length <= 16 * 1024)).toBe(true);
    expect(parts.slice(0, -1).every((p) => p.complete && p.bytes.toString().endsWith('\n\n'))).toBe(
      true,
    );
    expect(parts.at(-1)).toMatchObject({ complete: false });
    expect(parts.at(-1)!.bytes.toString()).toBe('id: 400\nda');
    expect(text(parts).join('')).toBe(body.toString());

    const huge = Buffer.from(event(1, 40_000) + event(2));
    const hugeParts = [...pieces(huge)];
    expect(hugeParts.length).toBeGreaterThan(2);
    expect(hugeParts.every((p) => p.complete)).toBe(true);
    expect(text(hugeParts).join('')).toBe(huge.toString());
    expect([...pieces(Buffer.from(':ok\n\n'))]).toEqual([
      { bytes: Buffer.from(':ok\n\n'), complete: true },
    ]);
  });
});

describe('reading a body cut anywhere', () => {
  it('delivers every event whole, however the network splits the bytes', async () => {
    // Events with multi-byte characters, one larger than a piece, cut into chunks at every
    // kind of place: inside a character, between the two newlines that end an event, inside
    // lines, right after a boundary.
    const events = Array.from({ length: 60 }, (_, n) =>
      JSON.stringify({ n, title: n === 30 ? 'ü'.repeat(20_000) : `Zürich ✓ 東京 ${n}` }),
    );
    const body = Buffer.from(
      ':ok\n\n' + events.map((data, n) => `event: message\nid: [${n}]\ndata: ${data}\n\n`).join(''),
    );
    const cuts: number[] = [];
    for (let at = 7, step = 1; at < body.length; step = (step * 7 + 3) % 997, at += step) {
      cuts.push(at);
    }
    const blank = body.indexOf('\n\n', 200);
    cuts.push(blank + 1, blank + 2, body.indexOf('ü') + 1);
    const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b);
    const http = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let from = 0;
      const next = (i: number) => {
        if (i > sorted.length) return;
        const to = sorted[i] ?? body.length;
        res.write(body.subarray(from, to));
        from = to;
        setImmediate(() => next(i + 1));
      };
      next(0);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const { received } = connect(`http://127.0.0.1:${port}/`);
      await until(() => received.length >= events.length);
      expect(received.map((r) => r.data)).toEqual(events);
      expect(received.map((r) => r.id)).toEqual(events.map((_, n) => `[${n}]`));
    } finally {
      client?.stop();
      client = undefined;
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('finds where the first event ends, even when its blank line starts in the carry', () => {
    expect(endOfFirstEvent(Buffer.from('data: a\n'), Buffer.from('\nid: 2'))).toBe(1);
    expect(endOfFirstEvent(Buffer.from('data: a'), Buffer.from('b\n\nid: 2'))).toBe(3);
    expect(endOfFirstEvent(Buffer.from('data: a'), Buffer.from('bc\nid: 2'))).toBe(-1);
  });
});
