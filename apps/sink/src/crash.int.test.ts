import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { migrate, openClickHouse, toChangeRow, type ClickHouseTarget } from '@wikipulse/store';
import {
  expectedDailyCounts,
  repoRoot,
  startApp,
  storedDailyCounts,
  storedDistinctIds,
  takeFreshEvents,
  waitForCommit,
  prng,
} from '@wikipulse/testing';
import { kafkaBrokers, testBus, uniqueName } from '@wikipulse/testing/vitest';

/**
 * Crashes as they happen: the built sink is killed from outside with SIGKILL at random moments
 * while it works through a backlog, restarted, killed again, and finally left to finish.
 */
const EVENTS = 60_000;
const BATCH_ROWS = 1_000;
/** At least this many kills… */
const MIN_KILLS = 6;
/** …and more, up to this many, until one has landed between an insert and its commit. */
const MAX_KILLS = 14;
/** A kill comes up to this long after the sink reports an insert. */
const KILL_DELAY_MS = 5;
/** One message in this many is not an event. */
const POISON_EVERY = 50;
const mainJs = join(repoRoot, 'apps', 'sink', 'dist', 'main.js');

const bus = testBus();
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('sink killed with SIGKILL at random moments', () => {
  it('ends with every event stored once and exact per-day counts', async () => {
    if (!existsSync(mainJs)) throw new Error(`build first (npm run build): ${mainJs} is missing`);
    const topic = uniqueName('crash');
    const groupId = uniqueName('crash-sink');
    const database = uniqueName('wikipulse_crash');
    // One partition: a message's offset is its place in the order sent, and the sink stores
    // in that order.
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    cleanup.push(async () => {
      await bus.deleteTopics([topic]);
    });

    const events = takeFreshEvents(EVENTS, {
      startMs: Date.now() - 3 * 86_400_000,
      stepMs: 3_000,
    }) as unknown as RecentChange[];
    // Poison among the events, as the live stream has: each batch then sends dead letters
    // between its insert and its commit, as in production.
    const messages: string[] = [];
    /** Events among the first n messages: validBefore[n]. */
    const validBefore = [0];
    for (const event of events) {
      if (messages.length % POISON_EVERY === 0) {
        messages.push('{"meta": {"id": "not an event"');
        validBefore.push(validBefore.at(-1)!);
      }
      messages.push(JSON.stringify(event));
      validBefore.push(validBefore.at(-1)! + 1);
    }
    const producer = await bus.producer();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send(
        topic,
        messages.slice(i, i + 500).map((value) => ({ value })),
      );
    }
    await producer.close();

    const service = inject('clickhouse');
    let target: ClickHouseTarget;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      TOPIC_PARTITIONS: '1',
      GROUP_ID: groupId,
      DEAD_LETTER_TOPIC: uniqueName('crash-dead'),
      CLICKHOUSE_DATABASE: database,
      BATCH_MAX_ROWS: String(BATCH_ROWS),
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
      env['CLICKHOUSE_URL'] = '';
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

    /** Events before the group's committed offset: all of them must be stored. */
    const committedEvents = async () => {
      const offset = Number((await bus.committedOffsets(groupId, topic)).get(0) ?? -1);
      return validBefore[Math.max(offset, 0)]!;
    };

    const seed = Date.now();
    const next = prng(seed);
    let kills = 0;
    let landed = 0;
    let before = { stored: 0, committed: 0 };
    while (kills < MIN_KILLS || (landed === 0 && kills < MAX_KILLS)) {
      const sink = startApp([mainJs], { env });
      // Some time after the sink reports its first, second or third insert of this run.
      await sink.line(/"batch inserted"/, { count: 1 + Math.floor(next() * 3) });
      await sleep(next() * KILL_DELAY_MS);
      expect(await sink.stop('SIGKILL'), sink.tail()).toEqual({ code: null, signal: 'SIGKILL' });
      kills += 1;

      const after = {
        stored: (await inspect((c) => storedDistinctIds(c, database))).distinct,
        committed: await committedEvents(),
      };
      // Every event is distinct, and those before the committed offset are stored.
      expect(after.stored).toBeGreaterThanOrEqual(after.committed);
      // On one partition the sink inserts in offset order, so the stored events are the first
      // `stored` ones. Stored events beyond the committed offset that were not stored before
      // this run were inserted by it and not committed: the kill fell between the two.
      if (after.stored > Math.max(after.committed, before.stored)) landed += 1;
      before = after;
    }
    console.log(`[crash] seed ${seed}: ${kills} kills, ${landed} between an insert and its commit`);
    expect(landed).toBeGreaterThan(0);

    const last = startApp([mainJs], { env });
    const port = (JSON.parse(await last.line(/"ops server listening"/)) as { metricsPort: number })
      .metricsPort;
    await waitForCommit(bus, groupId, topic);
    const ops = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      checks: { schema: true, kafka: true, clickhouse: true },
    });
    expect(await (await fetch(`${ops}/metrics`)).text()).toMatch(
      /^wikipulse_sink_consumer_lag_messages\{topic="[^"]+",partition="0",app="sink"\} 0$/m,
    );
    expect(await last.stop('SIGTERM'), last.tail()).toEqual({ code: 0, signal: null });

    const sent = new Set(events.map((e) => e.meta.id));
    const stored = await inspect((c) => storedDistinctIds(c, database));
    expect(stored).toEqual({ total: sent.size, distinct: sent.size });
    expect(await inspect((c) => storedDailyCounts(c, database))).toEqual(
      expectedDailyCounts(events.map(toChangeRow)),
    );
  });
});
