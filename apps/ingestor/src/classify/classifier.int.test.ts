import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, takeFreshEvents } from '@wikipulse/testing';
import { Classifier, type ClassifierOptions } from './classifier.js';
import type { FilterOptions } from '../filters.js';
import { messageKey } from '../message.js';
import type { VerdictHandler } from './verdicts.js';
import type { RecentChange } from '@wikipulse/events';

const builtWorker = pathToFileURL(
  join(repoRoot, 'apps', 'ingestor', 'dist', 'classify', 'worker.js'),
);
const open: Classifier[] = [];

beforeAll(() => {
  // The worker thread runs the built script, as the deployed ingestor does.
  execFileSync('npx', ['tsc', '-b', 'apps/ingestor'], { cwd: repoRoot, stdio: 'inherit' });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

type Call =
  | { kind: 'accept'; value: string; metaId: string; key: string; at: number }
  | { kind: 'drop'; reason: string }
  | { kind: 'dead'; value: string; reason: string; position: string; at: number }
  | { kind: 'passed'; position: string; at: number };

function start(
  worker: URL | undefined,
  filter: FilterOptions,
  extra: Partial<ClassifierOptions> = {},
): { classifier: Classifier; calls: Call[]; errors: unknown[] } {
  const calls: Call[] = [];
  const errors: unknown[] = [];
  const handler: VerdictHandler = {
    accept: (value, metaId, key, _wiki, _dtMs, at) =>
      calls.push({ kind: 'accept', value: value.toString('utf8'), metaId, key, at }),
    drop: (reason) => calls.push({ kind: 'drop', reason }),
    dead: (value, reason, _detail, position, at) =>
      calls.push({ kind: 'dead', value: value.toString('utf8'), reason, position, at }),
    passed: (position, at) => calls.push({ kind: 'passed', position, at }),
  };
  const classifier = new Classifier({
    rules: { ...filter, maxEventBytes: 1_000_000 },
    worker,
    handler,
    batchEvents: 64,
    // Not the test runner's flags, which resolve workspace packages to their TypeScript.
    execArgv: [],
    onError: (error) => errors.push(error),
    ...extra,
  });
  open.push(classifier);
  return { classifier, calls, errors };
}

describe.each([
  ['on the calling thread', undefined],
  ['on the built worker thread', builtWorker],
])('Classifier %s', (_name, worker) => {
  it('applies every verdict in submission order, with the text exactly as received', async () => {
    const events = takeFreshEvents(500) as unknown as RecentChange[];
    const texts = events.map((e) => JSON.stringify(e));
    texts[10] = '{"meta":';
    texts[70] = JSON.stringify({ ...events[70], meta: { ...events[70]!.meta, domain: 'canary' } });
    texts[200] = JSON.stringify({ ...events[200], meta: { ...events[200]!.meta, id: 'x' } });
    const { classifier, calls: all, errors } = start(worker, { wikis: [], langs: [] });
    const before = Date.now();
    texts.forEach((text, i) => classifier.submit(text, `p${i}`));
    await classifier.idle();

    expect(errors).toEqual([]);
    expect(classifier.pending).toBe(0);
    // After each batch of 64, the position after its last event.
    const passed = all.filter((c) => c.kind === 'passed');
    expect(passed.map((c) => c.position)).toEqual(
      texts.flatMap((_, i) => (i % 64 === 63 || i === texts.length - 1 ? [`p${i}`] : [])),
    );
    // A batch's position comes right after its last verdict.
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
    const { classifier, calls } = start(worker, { wikis: ['enwiki'], langs: [] });
    events.forEach((e, i) => classifier.submit(JSON.stringify(e), `p${i}`));
    await classifier.idle();
    const kinds = calls
      .filter((c) => c.kind !== 'passed')
      .map((c) => (c.kind === 'drop' ? c.reason : c.kind));
    expect(kinds).toEqual(events.map((e) => (e.wiki === 'enwiki' ? 'accept' : 'filtered')));
    expect(kinds).toContain('accept');
    expect(kinds).toContain('filtered');
  });

  it('holds the stream back while too many events wait for their verdicts', async () => {
    const texts = takeFreshEvents(150).map((e) => JSON.stringify(e));
    const { classifier, calls } = start(worker, { wikis: [], langs: [] }, { maxPending: 100 });
    texts.slice(0, 99).forEach((text, i) => classifier.submit(text, `p${i}`));
    expect(classifier.writable()).toBeUndefined();
    texts.slice(99).forEach((text, i) => classifier.submit(text, `p${i + 99}`));
    const room = classifier.writable();
    expect(room).toBeInstanceOf(Promise);
    await room;
    expect(classifier.pending).toBeLessThan(100);
    await classifier.idle();
    expect(calls.filter((c) => c.kind !== 'passed')).toHaveLength(150);
  });
});
