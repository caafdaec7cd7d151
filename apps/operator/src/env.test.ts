import { ConfigError } from '@wikipulse/config';
import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.js';

const base = {
  WATCH_NAMESPACE: 'wikipulse',
  KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092',
  CLICKHOUSE_URL: 'http://clickhouse:8123',
  APP_IMAGE: 'wikipulse:1.0.0',
};

describe('the operator environment', () => {
  it('fills in defaults', () => {
    expect(loadEnv(base)).toMatchObject({
      KAFKA_BROKERS: ['kafka-0:9092', 'kafka-1:9092'],
      APP_IMAGE_PULL_POLICY: 'IfNotPresent',
      METRICS_PORT: 9464,
      CLICKHOUSE_URL_SECRET_KEY: 'url',
    });
  });

  it('refuses a ClickHouse URL with credentials unless the sinks read it from a Secret', () => {
    const withPassword = { ...base, CLICKHOUSE_URL: 'http://user:secret@clickhouse:8123' };
    expect(() => loadEnv(withPassword)).toThrow(/CLICKHOUSE_URL.*CLICKHOUSE_URL_SECRET/s);
    expect(
      loadEnv({ ...withPassword, CLICKHOUSE_URL_SECRET: 'clickhouse' }).CLICKHOUSE_URL_SECRET,
    ).toBe('clickhouse');
  });

  it('reports every missing variable at once', () => {
    try {
      loadEnv({});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['WATCH_NAMESPACE', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'APP_IMAGE']) {
        expect(problems).toContain(name);
      }
    }
  });
});
