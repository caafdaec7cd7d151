import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '@wikipulse/kafka';
import {
  readRecording,
  recordingsDir,
  repoRoot,
  startEventStreamsServer,
  type EventStreamsServer,
} from '@wikipulse/testing';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import {
  collect as collectTopic,
  kafkaEnv,
  startIngestor as start,
  until,
} from './testing/processes.js';

const lines = ['enwiki-2023-07-29-100.jsonl', 'multiwiki-2026-09-17-24.jsonl'].flatMap((f) =>
  readRecording(join(recordingsDir, f)),
);
const bus = testBus();
const children = new Set<ChildProcess>();
const startIngestor = (env: Record<string, string>) => start(env, children);
const collect = (topic: string, done: (messages: IncomingMessage[]) => boolean) =>
  collectTopic(bus, topic, done);
let server: EventStreamsServer | undefined;

beforeAll(() => {
  // The test runs the ingestor as deployed: the built entry point in its own process.
  execFileSync('npx', ['tsc', '-b', 'apps/ingestor'], { cwd: repoRoot, stdio: 'inherit' });
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await server?.stop();
  server = undefined;
});

describe('ingestor into Kafka', () => {
  // Both ways of reading: on the main thread (the default) and on the reading thread.
  it.each([
    ['on one thread', 'false'],
    ['with the reading thread', 'true'],
  ])(
    'delivers every valid non-canary event exactly once across disconnects, a 429, a stall and kill -9, %s',
    async (_mode, parseWorker) => {
      const total = 4000;
      server = await startEventStreamsServer({
        lines,
        limit: total,
        rate: 700,
        stepMs: 0.5,
        canaryEvery: 97,
        malformedEvery: 89,
        duplicateEvery: 41,
        record: true,
      });
      const topic = uniqueName('ingest_events');
      const env = { ...kafkaEnv(server.url, topic), PARSE_WORKER: parseWorker };
      const first = startIngestor(env);
      await server.waitForEvents(600);
      server.dropConnections();
      await server.waitForEvents(1200);
      server.rejectNext(1, 1);
      await server.waitForEvents(1800);
      server.stall();
      await server.waitForEvents(2500);
      first.process.kill('SIGKILL');
      expect(await first.exited).toBe(null);
      const second = startIngestor(env);

      const expected = new Map<string, string>();
      const malformed = new Set<string>();
      for (let i = 0; i < total; i += 1) {
        const entry = server.log.entryAt(i)!;
        if (entry.kind === 'event') expected.set(entry.metaId!, entry.data);
        if (entry.kind === 'malformed') malformed.add(entry.data);
      }
      const events = await collect(topic, (m) => m.length >= expected.size);
      const ids = events.map((m) => m.headers['meta-id']!);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(expected.size);
      for (const m of events) expect(m.value!.toString()).toBe(expected.get(m.headers['meta-id']!));

      const reasons = server.sent.filter((e) => e.kind !== 'event');
      expect(reasons.some((e) => e.kind === 'canary')).toBe(true);
      expect(server.counters.rejected).toBe(1);
      expect(server.counters.stalls).toBeGreaterThanOrEqual(1);
      // The restarted ingestor resumed from its checkpoint, not from the beginning.
      const resumed = server.requests.filter((r) => r.lastEventId !== undefined);
      expect(resumed.length).toBeGreaterThanOrEqual(4);
      const log = second.stderr.join('');
      expect(log).toMatch(/restored position and deduplication window/);
      expect(log).not.toMatch(/"resumeFrom":null/);

      const dead = await collect(`${topic}.dead`, (m) => m.length >= malformed.size);
      expect(new Set(dead.map((m) => m.value!.toString()))).toEqual(malformed);
      expect(new Set(dead.map((m) => m.headers['reason']))).toEqual(
        new Set(['invalid_json', 'schema', 'missing_id']),
      );
      for (const m of dead) {
        expect(m.headers['detail']!.length).toBeGreaterThan(0);
        expect(m.headers['dead-lettered-by']).toBe('wikipulse-ingestor');
        expect(m.headers['source-position']).toMatch(/^\[\{/);
      }
      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
  );
});

describe('ingestor without Kafka', () => {
  it('stdout mode prints exactly the accepted events, one per line, as received', async () => {
    const total = 300;
    server = await startEventStreamsServer({
      lines,
      limit: total,
      closeEveryEvents: 70,
      canaryEvery: 13,
      malformedEvery: 17,
      duplicateEvery: 11,
    });
    const expected: string[] = [];
    for (let i = 0; i < total; i += 1) {
      const entry = server.log.entryAt(i)!;
      if (entry.kind === 'event') expected.push(entry.data);
    }
    const child = startIngestor({ STREAM_URL: server.url, OUTPUT: 'stdout' });
    await until('all events on stdout', () => child.stdout.length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const port = /"metricsPort":(\d+)/.exec(child.stderr.join(''))![1];
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { stream: true, output: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (series: string) =>
      Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    expect(value('wikipulse_ingestor_events_produced_total{app="ingestor"}')).toBe(expected.length);
    expect(
      value('wikipulse_ingestor_events_dropped_total{reason="canary",app="ingestor"}'),
    ).toBeGreaterThan(0);
    expect(
      value('wikipulse_ingestor_events_dropped_total{reason="duplicate",app="ingestor"}'),
    ).toBeGreaterThan(0);
    expect(
      value('wikipulse_ingestor_reconnects_total{reason="closed",app="ingestor"}'),
    ).toBeGreaterThanOrEqual(4);

    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.stdout).toEqual(expected);
    expect(child.stderr.join('')).toMatch(/"reason":"invalid_json"/);
  });

  it('jsonl mode with a checkpoint file resumes after kill -9 without losing or repeating events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wikipulse-ingest-'));
    try {
      const total = 1500;
      server = await startEventStreamsServer({
        lines,
        limit: total,
        rate: 600,
        duplicateEvery: 29,
      });
      const env = {
        STREAM_URL: server.url,
        OUTPUT: 'jsonl',
        OUTPUT_FILE: join(dir, 'events.jsonl'),
        CHECKPOINT_FILE: join(dir, 'position.json'),
      };
      const first = startIngestor(env);
      await server.waitForEvents(700);
      first.process.kill('SIGKILL');
      await first.exited;
      const second = startIngestor(env);
      const expected: string[] = [];
      for (let i = 0; i < total; i += 1) {
        const entry = server.log.entryAt(i)!;
        if (entry.kind === 'event') expected.push(entry.data);
      }
      const read = async () =>
        (await readFile(env.OUTPUT_FILE, 'utf8')).split('\n').filter((l) => l !== '');
      let written: string[] = [];
      await until('the file to fill', () => {
        void read().then((l) => (written = l));
        return written.length >= expected.length;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      second.process.kill('SIGTERM');
      await second.exited;
      written = await read();
      expect(written).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
