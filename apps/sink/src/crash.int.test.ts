import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { migrate, openClickHouse, toChangeRow, type ClickHouseTarget } from '@wikipulse/store';
import { repoRoot, storedDistinctIds, takeFreshEvents, waitForCommit } from '@wikipulse/testing';
import { kafkaBrokers, testBus, uniqueName } from '@wikipulse/testing/vitest';
import { expectedDailyCounts, storedDailyCounts } from './verify.js';

const EVENTS = 100_000;
const KILLS = 6;
const mainJs = join(repoRoot, 'apps', 'sink', 'dist', 'main.js');

const bus = testBus();
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A small seeded generator, so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves when the sink has logged its n-th inserted batch. */
  inserted(n: number): Promise<void>;
  /** The port of `/metrics` and `/readyz`, once the sink has logged it. */
  opsPort(): number | undefined;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [mainJs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let count = 0;
  let port: number | undefined;
  const waiters: { n: number; resolve: () => void }[] = [];
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (line.includes('"ops server listening"')) {
      port = (JSON.parse(line) as { port: number }).port;
    }
    if (!line.includes('"batch inserted"')) return;
    count += 1;
    for (const w of waiters.filter((w) => w.n <= count)) w.resolve();
  });
  void exited.then((code) => {
    if (code !== 0 && code !== null) console.error(`sink exited with ${code}:\n${tail.join('\n')}`);
  });
  return {
    process: child,
    exited,
    opsPort: () => port,
    inserted: (n) =>
      new Promise((resolve, reject) => {
        if (count >= n) resolve();
        else waiters.push({ n, resolve });
        void exited.then(() => reject(new Error(`sink exited before batch ${n}`)));
      }),
  };
}

describe('sink killed with SIGKILL between insert and commit', () => {
  it('ends with every event stored once and exact per-day counts', async () => {
    if (!existsSync(mainJs)) throw new Error(`build first (npm run build): ${mainJs} is missing`);
    const topic = uniqueName('crash');
    const groupId = uniqueName('crash-sink');
    const database = uniqueName('wikipulse_crash');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    // About 130 MB on the broker's disk.
    cleanup.push(async () => {
      await bus.deleteTopics([topic]);
    });

    const events = takeFreshEvents(EVENTS, {
      startMs: Date.UTC(2026, 10, 19),
      stepMs: 3_000,
    }) as unknown as RecentChange[];
    const producer = await bus.producer();
    for (let i = 0; i < events.length; i += 500) {
      const chunk = events.slice(i, i + 500);
      await producer.send(
        topic,
        chunk.map((e) => ({ key: e.meta.id, value: JSON.stringify(e) })),
      );
    }
    await producer.close();

    const service = inject('clickhouse');
    let target: ClickHouseTarget;
    const env: Record<string, string> = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      TOPIC_PARTITIONS: '3',
      GROUP_ID: groupId,
      DEAD_LETTER_TOPIC: uniqueName('crash-dead'),
      CLICKHOUSE_DATABASE: database,
      BATCH_MAX_ROWS: '4000',
      BATCH_MAX_WAIT_MS: '200',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    };
    if (service.kind === 'server') {
      target = { kind: 'server', url: service.url };
      env['CLICKHOUSE_URL'] = service.url;
    } else {
      const path = await mkdtemp(join(tmpdir(), 'wikipulse-crash-'));
      cleanup.push(() => rm(path, { recursive: true, force: true }));
      target = { kind: 'embedded', path };
      env['CLICKHOUSE_PATH'] = path;
    }
    // One process per embedded data path: the test opens it only while no sink runs.
    const inspect = async <T>(
      read: (client: ReturnType<typeof openClickHouse>) => Promise<T>,
    ): Promise<T> => {
      const client = openClickHouse(target);
      try {
        return await read(client);
      } finally {
        await client.close();
      }
    };
    // The sink runs no DDL: the database's owner migrates it first.
    await inspect((c) => migrate(c, { database, retentionDays: 30, owner: 'local' }));

    const seed = Date.now();
    const next = random(seed);
    let landedBetween = 0;
    for (let round = 0; round < KILLS; round += 1) {
      const inserts = 1 + Math.floor(next() * 3);
      // Even rounds: the sink's failpoint kills it right after an insert, before the commit.
      // Odd rounds: this test kills it from outside as soon as it logs an insert, wherever the
      // sink is by then.
      const failpoint = round % 2 === 0;
      const child = startChild(
        failpoint ? { ...env, FAILPOINT_KILL_AFTER_INSERTS: String(inserts) } : env,
      );
      if (!failpoint) {
        await child.inserted(inserts);
        child.process.kill('SIGKILL');
      }
      expect(await child.exited).toBeNull();
      expect(child.process.signalCode).toBe('SIGKILL');
      const committed = [...(await bus.committedOffsets(groupId, topic)).values()]
        .map(Number)
        .filter((n) => n > 0)
        .reduce((a, b) => a + b, 0);
      const stored = await inspect((c) => storedDistinctIds(c, database));
      // Every message is a distinct event and those below the committed offsets are stored,
      // so more stored rows than committed messages means the kill fell after an insert and
      // before its commit.
      expect(stored.distinct).toBeGreaterThanOrEqual(committed);
      if (failpoint) expect(stored.distinct).toBeGreaterThan(committed);
      if (stored.distinct > committed) landedBetween += 1;
    }
    console.log(
      `[crash] seed ${seed}: ${KILLS} kills, ${landedBetween} between an insert and its commit`,
    );

    const last = startChild(env);
    await waitForCommit(bus, groupId, topic);
    const ops = `http://127.0.0.1:${last.opsPort()}`;
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      checks: { schema: true, kafka: true, clickhouse: true },
    });
    expect(await (await fetch(`${ops}/metrics`)).text()).toMatch(
      /^wikipulse_sink_consumer_lag_messages\{topic="[^"]+",partition="0",app="sink"\} 0$/m,
    );
    last.process.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const sent = new Set(events.map((e) => e.meta.id));
    const stored = await inspect((c) => storedDistinctIds(c, database));
    expect(stored).toEqual({ total: sent.size, distinct: sent.size });
    expect(await inspect((c) => storedDailyCounts(c, database))).toEqual(
      expectedDailyCounts(events.map(toChangeRow)),
    );
  });
});
