import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
import { readRecording, recordingsDir, startEventStreamsServer } from '@wikipulse/testing';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import { createApp } from './app.js';
import { parseCheckpoint } from './checkpoint.js';
import { loadIngestorConfig } from './env.js';
import { collect, until } from './testing/processes.js';

const lines = readRecording(join(recordingsDir, 'enwiki-2023-07-29-100.jsonl'));
const bus = testBus();

describe('the ingestor on the clock it is given', () => {
  it("stamps its checkpoint and its dead letters' Kafka timestamps with the app's time", async () => {
    // An hour behind the machine, to the second: the test broker deletes records older than a
    // day, and a broker may refuse timestamps far ahead of its own clock.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const dir = await mkdtemp(join(tmpdir(), 'wikipulse-ingest-clock-'));
    const server = await startEventStreamsServer({
      lines,
      limit: 300,
      rate: 1000,
      malformedEvery: 10,
    });
    const topic = uniqueName('ingest_clock');
    const checkpointFile = join(dir, 'position.json');
    const app = createApp(
      loadIngestorConfig({
        STREAM_URL: server.url,
        TOPIC: topic,
        DEAD_LETTER_TOPIC: `${topic}.dead`,
        TOPIC_PARTITIONS: '1',
        CHECKPOINT_FILE: checkpointFile,
      }),
      {
        bus,
        log: createLogger({ name: 'ingestor-test', level: 'silent' }),
        registry: new Registry(),
        onFatal: (error) => {
          throw error;
        },
        clock: () => now,
      },
    );
    try {
      await app.start();
      await server.waitForEvents(300);
      await until('the events to be produced', () => app.stats.produced >= 200);
    } finally {
      // Stopping saves the final checkpoint.
      await app.close();
      await server.stop();
    }
    try {
      const checkpoint = parseCheckpoint(await readFile(checkpointFile, 'utf8'));
      expect(checkpoint).toMatchObject({ receivedAt: now.getTime(), savedAt: now.getTime() });
      const deadLettered = [...app.stats.deadLettered.values()].reduce((a, b) => a + b, 0);
      expect(deadLettered).toBeGreaterThan(0);
      const letters = await collect(bus, `${topic}.dead`, (got) => got.length >= deadLettered);
      expect(letters).toHaveLength(deadLettered);
      expect(new Set(letters.map((m) => m.timestamp))).toEqual(new Set([now.getTime()]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
