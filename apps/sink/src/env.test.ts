import { describe, expect, it } from 'vitest';
import { ConfigError } from '@wikipulse/config';
import { loadEnv } from './env.js';

describe('loadEnv', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv({ KAFKA_BROKERS: 'a:9092, b:9092' });
    expect(env).toMatchObject({
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      TOPIC: 'wikipulse.recentchange',
      GROUP_ID: 'wikipulse-sink',
      DEAD_LETTER_TOPIC: 'wikipulse.recentchange.dead-letter',
      CLICKHOUSE_DATABASE: 'wikipulse',
      RETENTION_DAYS: 30,
      BATCH_MAX_ROWS: 5_000,
      BATCH_MAX_WAIT_MS: 200,
      METRICS_PORT: 9464,
      METRICS_HOST: '0.0.0.0',
    });
    expect(env.clickhousePath).toMatch(/\/\.data\/clickhouse$/);
  });

  it('reports every bad variable at once, including a wait above one second', () => {
    try {
      loadEnv({ BATCH_MAX_WAIT_MS: '5000', CLICKHOUSE_DATABASE: 'x; DROP' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names.sort()).toEqual(['BATCH_MAX_WAIT_MS', 'CLICKHOUSE_DATABASE', 'KAFKA_BROKERS']);
    }
  });
});
