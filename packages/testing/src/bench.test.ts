import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BenchSetupError,
  MemorySampler,
  benchKafka,
  exitOnSetupError,
  percentile,
  storedMismatch,
} from './bench.js';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('MemorySampler', () => {
  it('reports a peak at least as large as the current use', () => {
    const sampler = new MemorySampler();
    const { peakRssMiB, peakHeapMiB } = sampler.stop();
    expect(peakRssMiB).toBeGreaterThanOrEqual(peakHeapMiB);
    expect(peakHeapMiB).toBeGreaterThan(0);
  });
});

describe('storedMismatch', () => {
  it('agrees when every event is stored once', () => {
    expect(storedMismatch('ClickHouse', 10, { total: 10, distinct: 10 })).toBeUndefined();
  });

  it('says how many are missing, extra or stored twice, in one line', () => {
    expect(storedMismatch('ClickHouse', 1000, { total: 0, distinct: 0 })).toBe(
      'ClickHouse: stored 0 distinct events of 1000 sent (1000 missing)',
    );
    expect(storedMismatch('Kafka', 10, { total: 13, distinct: 12 })).toBe(
      'Kafka: stored 12 distinct events but only 10 were sent, 13 rows for 12 distinct events (duplicates)',
    );
    expect(storedMismatch('Kafka', 10, { total: 11, distinct: 10 })).toBe(
      'Kafka: 11 rows for 10 distinct events (duplicates)',
    );
  });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('benchKafka', () => {
  it('refuses a KAFKA_BROKERS nothing listens on, in one line saying what to do', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const attempt = benchKafka(() => undefined, { KAFKA_BROKERS: `127.0.0.1:${port}` });
    await expect(attempt).rejects.toBeInstanceOf(BenchSetupError);
    await expect(attempt).rejects.toThrow(
      /^no Kafka broker answers at 127\.0\.0\.1:\d+ \(KAFKA_BROKERS\): start one/,
    );
  });

  it('uses a KAFKA_BROKERS that accepts connections, and leaves it running', async () => {
    const server = createServer((socket) => socket.destroy());
    const port = await listen(server);
    try {
      const kafka = await benchKafka(() => undefined, { KAFKA_BROKERS: ` 127.0.0.1:${port} ` });
      expect(kafka.brokers).toEqual([`127.0.0.1:${port}`]);
      expect(kafka.pid).toBeUndefined();
      await kafka.stop();
      expect(server.listening).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('exitOnSetupError', () => {
  it('passes other errors on', () => {
    const error = new Error('a bug');
    expect(() => exitOnSetupError('sink')(error)).toThrow(error);
  });
});
