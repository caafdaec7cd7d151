import { execFileSync } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import { repoRoot, takeFreshEvents } from '@wikipulse/testing';
import type { FilterOptions } from '../filters.js';
import { messageKey } from '../message.js';
import { Reader, type ReaderOptions } from './reader.js';
import type { VerdictHandler } from './verdicts.js';

const builtWorker = pathToFileURL(
  join(repoRoot, 'apps', 'ingestor', 'dist', 'classify', 'worker.js'),
);
const log = createLogger({ name: 'reader-test', level: 'silent' });
const open: { reader: Reader; server: Server }[] = [];

beforeAll(() => {
  // The worker thread runs the built script, as the deployed ingestor does.
  execFileSync('npx', ['tsc', '-b', 'apps/ingestor'], { cwd: repoRoot, stdio: 'inherit' });
});
afterEach(async () => {
  for (const { reader, server } of open.splice(0)) {
    await reader.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * An SSE server that sends exactly the given `data` payloads, as EventStreams frames them
 * (`id`, `event: message`, `data`), with ids `p0`, `p1`, …, then keeps the connection open.
 */
async function serve(texts: readonly string[]): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response: ServerResponse) => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
    response.write(':ok\n\n');
    response.write(texts.map((text, i) => `event: message\nid: p${i}\ndata: ${text}\n\n`).join(''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v2/stream/recentchange`, server };
}

type Call =
  | { kind: 'accept'; value: string; metaId: string; key: string; at: number }
  | { kind: 'drop'; reason: string }
  | { kind: 'dead'; value: string; reason: string; position: string; at: number }
  | { kind: 'passed'; position: string; at: number };

async function start(
  worker: URL | undefined,
  texts: readonly string[],
  filter: FilterOptions,
  extra: Partial<ReaderOptions> = {},
): Promise<{ reader: Reader; calls: Call[]; errors: unknown[]; received: () => number }> {
  const { url, server } = await serve(texts);
  const calls: Call[] = [];
  const errors: unknown[] = [];
  let received = 0;
  const handler: VerdictHandler = {
    accept: (value, metaId, key, _dtMs, at) =>
      calls.push({ kind: 'accept', value: value.toString('utf8'), metaId, key, at }),
    drop: (reason) => calls.push({ kind: 'drop', reason }),
    dead: (value, reason, _detail, position, at) =>
      calls.push({ kind: 'dead', value: value.toString('utf8'), reason, position, at }),
    passed: (position, at) => calls.push({ kind: 'passed', position, at }),
  };
  const reader = new Reader({
    settings: {
      stream: {
        url,
        userAgent: 'Wikipulse-test/1.0 (test@example.org)',
        stallTimeoutMs: 30_000,
        reconnectMinMs: 20,
        reconnectMaxMs: 100,
      },
      rules: { ...filter, maxEventBytes: 1_000_000 },
      batchEvents: 64,
      maxPending: 2048,
    },
    worker,
    // Not the test runner's flags, which resolve workspace packages to their TypeScript.
    execArgv: [],
    handler,
    log,
    writable: () => undefined,
    onReceived: (events) => {
      received += events;
    },
    onReconnect: () => undefined,
    onError: (error) => errors.push(error),
    ...extra,
  });
  open.push({ reader, server });
  reader.start();
  return { reader, calls, errors, received: () => received };
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each([
  ['on the calling thread', undefined],
  ['on the built worker thread', builtWorker],
])('Reader %s', (_name, worker) => {
  it('applies every verdict in stream order, with the text exactly as received', async () => {
    const events = takeFreshEvents(500) as unknown as RecentChange[];
    const texts = events.map((e) => JSON.stringify(e));
    texts[10] = '{"meta":';
    texts[70] = JSON.stringify({ ...events[70], meta: { ...events[70]!.meta, domain: 'canary' } });
    texts[200] = JSON.stringify({ ...events[200], meta: { ...events[200]!.meta, id: 'x' } });
    const before = Date.now();
    const {
      reader,
      calls: all,
      errors,
      received,
    } = await start(worker, texts, {
      wikis: [],
      langs: [],
    });
    await until(() => received() === texts.length);
    await until(() => reader.connected);
    await reader.stop();

    expect(errors).toEqual([]);
    expect(reader.connected).toBe(false);
    // After each batch, the position after its last event: the last one is the stream's end.
    const passed = all.filter((c) => c.kind === 'passed');
    expect(passed.length).toBeGreaterThanOrEqual(Math.ceil(texts.length / 64));
    expect(passed.at(-1)!.position).toBe(`p${texts.length - 1}`);
    let handled = 0;
    for (const call of all) {
      if (call.kind === 'passed') expect(call.position).toBe(`p${handled - 1}`);
      else handled += 1;
    }
    const calls = all.filter((c) => c.kind !== 'passed');
    expect(calls).toHaveLength(texts.length);
    for (const call of all) {
      if (call.kind === 'accept' || call.kind === 'dead' || call.kind === 'passed') {
        expect(call.at).toBeGreaterThanOrEqual(before);
        expect(call.at).toBeLessThanOrEqual(Date.now());
      }
    }
    expect(calls[10]).toMatchObject({
      kind: 'dead',
      reason: 'invalid_json',
      value: texts[10],
      position: 'p10',
    });
    expect(calls[70]).toMatchObject({ kind: 'drop', reason: 'canary' });
    expect(calls[200]).toMatchObject({
      kind: 'dead',
      reason: 'missing_id',
      value: texts[200],
      position: 'p200',
    });
    const accepted = calls.flatMap((c, i) => (c.kind === 'accept' ? [[c, i] as const] : []));
    expect(accepted).toHaveLength(497);
    for (const [call, i] of accepted) {
      expect(call.value).toBe(texts[i]);
      expect(call.metaId).toBe(events[i]!.meta.id);
      expect(call.key).toBe(messageKey(events[i]!));
    }
  });

  it('drops what the filters exclude', async () => {
    const events = takeFreshEvents(300) as unknown as RecentChange[];
    const texts = events.map((e) => JSON.stringify(e));
    const { calls, received } = await start(worker, texts, { wikis: ['enwiki'], langs: [] });
    await until(() => received() === texts.length);
    const kinds = calls
      .filter((c) => c.kind !== 'passed')
      .map((c) => (c.kind === 'drop' ? c.reason : c.kind));
    expect(kinds).toEqual(events.map((e) => (e.wiki === 'enwiki' ? 'accept' : 'filtered')));
    expect(kinds).toContain('accept');
    expect(kinds).toContain('filtered');
  });

  it('stops reading while what follows has no room, and reads on once it has', async () => {
    const texts = takeFreshEvents(5000).map((e) => JSON.stringify(e));
    let open = false;
    let opened: () => void = () => undefined;
    const room = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const { reader, received } = await start(
      worker,
      texts,
      { wikis: [], langs: [] },
      { writable: () => (open || received() < 500 ? undefined : room) },
    );
    await until(() => received() >= 500);
    // Let reading go as far as it would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const applied = received();
    // Nothing more is applied. What waits is bounded: reading stops at its next pull once the
    // pending limit is reached, so beyond the limit come at most one batch and what the network
    // reads already handed on (64 kB each; two, one in the parser and one being cut).
    expect(applied).toBeLessThan(500 + 64);
    expect(reader.queued).toBeGreaterThan(0);
    const smallest = Math.min(...texts.map((t) => Buffer.byteLength(t)));
    expect(reader.queued + applied - 500).toBeLessThanOrEqual(
      2048 + 64 + Math.ceil((2 * 65_536) / smallest),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received()).toBe(applied);
    open = true;
    opened();
    await until(() => received() === texts.length);
    expect(reader.queued).toBe(0);
  });
});

describe('Reader on a worker thread', () => {
  it('reports a worker that dies as a failure, and does not wait for its verdicts', async () => {
    const script =
      "import { parentPort } from 'node:worker_threads';" +
      "parentPort.on('message', () => { throw new Error('worker broke'); });";
    const { reader, calls, errors } = await start(
      new URL(`data:text/javascript,${encodeURIComponent(script)}`),
      ['{}'],
      { wikis: [], langs: [] },
    );
    await until(() => errors.length > 0);
    await reader.stop();
    expect(String(errors[0])).toMatch(/worker broke/);
    expect(calls).toEqual([]);
  });
});
