import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording, repoRoot } from '@wikipulse/testing';
import { BUNDLED_RECORDING } from './source.js';

/**
 * `npm start` as a user runs it: the built program as a child process, replaying the bundled
 * recording once, asked through the console (stdin/stdout) and the HTTP API; then stopped with
 * Ctrl-C (SIGINT) and started again on the same data folder.
 */
interface Recorded {
  id: string;
  dt: string;
  title: string;
  type: string;
  bot: boolean;
  language: string;
}
const recording: Recorded[] = readRecording(BUNDLED_RECORDING).map((line) => {
  const e = JSON.parse(line) as {
    meta: { id: string; dt: string };
    title: string;
    type: string;
    bot: boolean;
    server_name: string;
  };
  return {
    id: e.meta.id,
    dt: e.meta.dt,
    title: e.title,
    type: e.type,
    bot: e.bot,
    language: e.server_name.split('.')[0]!,
  };
});
const indonesian = recording
  .filter((e) => e.language === 'id')
  .sort((a, b) => b.dt.localeCompare(a.dt));

/** The embedded defaults: no Kafka, no ClickHouse server, whatever the test run itself uses. */
const localEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => name !== 'KAFKA_BROKERS' && name !== 'CLICKHOUSE_URL',
  ),
);

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-local-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  base: string;
  stdout: () => string;
  stderr: () => string;
}

async function start(): Promise<Run> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'apps/local/dist/main.js'), '--replay', BUNDLED_RECORDING, '--once'],
    {
      env: { ...localEnv, DATA_DIR: dataDir, PORT: '0', PROGRESS_INTERVAL_S: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const base = await waitFor(
    () => /HTTP API on (http:\/\/[\d.]+:\d+)\//.exec(err)?.[1],
    60_000,
    () => err,
  );
  return { child, base, stdout: () => out, stderr: () => err };
}

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
  context: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape it expects
async function get<T = unknown>(run: Run, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${run.base}${path}`);
  const body: unknown = await res.json();
  return { status: res.status, body: body as T };
}

async function stop(run: Run): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) =>
    run.child.once('exit', (code) => resolve(code)),
  );
  run.child.kill('SIGINT');
  return exited;
}

describe('npm start (replay of the bundled recording)', () => {
  it('answers on the console and over HTTP, stops on Ctrl-C, and resumes without duplicates', async () => {
    const run = await start();
    expect(run.stderr()).toMatch(/replaying .*multiwiki-2026-09-17-24\.jsonl \(24 events, once\)/);
    await waitFor(
      async () =>
        (await get<{ storedRows: number }>(run, '/api/progress')).body.storedRows >= 24
          ? true
          : undefined,
      60_000,
      run.stderr,
    );

    const recent = await get<{ items: { id: string; title: string; url: string }[] }>(
      run,
      '/api/recent?lang=id&limit=5',
    );
    expect(recent.status).toBe(200);
    expect(recent.body.items.map((i) => i.id)).toEqual(indonesian.slice(0, 5).map((e) => e.id));
    expect(recent.body.items[0]!.url).toMatch(/^https:\/\/id\.wikipedia\.org\/wiki\//);

    const day = '2026-09-17';
    const expected = recording.filter((e) => e.language === 'id' && e.dt.startsWith(day));
    const stats = await get<{
      total: number;
      bots: number;
      humans: number;
      byType: Record<string, number>;
    }>(run, `/api/stats?date=${day}&lang=id`);
    expect(stats.body.total).toBe(expected.length);
    expect(stats.body.bots).toBe(expected.filter((e) => e.bot).length);
    expect(stats.body.humans).toBe(expected.filter((e) => !e.bot).length);
    const byType: Record<string, number> = {};
    for (const e of expected) byType[e.type] = (byType[e.type] ?? 0) + 1;
    expect(stats.body.byType).toEqual(byType);

    const metrics = await (await fetch(`${run.base}/metrics`)).text();
    expect(metrics).toMatch(/wikipulse_ingestor_events_produced_total\{app="local"\} 24/);
    expect(metrics).toMatch(/wikipulse_sink_rows_inserted_total\{app="local"\} 24/);

    expect((await get(run, '/api/recent?limit=1000')).status).toBe(400);
    expect((await get(run, '/api/stats?date=2999-01-01')).status).toBe(400);

    run.child.stdin!.write('!recent 3 id\n');
    const reply = await waitFor(
      () => (run.stdout().includes(indonesian[2]!.title) ? run.stdout() : undefined),
      20_000,
      run.stdout,
    );
    for (const e of indonesian.slice(0, 3)) expect(reply).toContain(e.title);

    const startedStopping = Date.now();
    expect(await stop(run)).toBe(0);
    expect(Date.now() - startedStopping).toBeLessThan(10_000);

    const again = await start();
    await new Promise((r) => setTimeout(r, 3_000));
    const progress = await get<{ storedRows: number }>(again, '/api/progress');
    expect(progress.body.storedRows).toBe(24);
    const languages = await get<{ items: { language: string; total: number }[] }>(
      again,
      `/api/languages?date=${day}`,
    );
    expect(languages.body.items.reduce((n, i) => n + i.total, 0)).toBe(
      recording.filter((e) => e.dt.startsWith(day)).length,
    );
    expect(await stop(again)).toBe(0);
  });
});
