import { ConfigError, clickHouseServer, kafkaConnection } from '@wikipulse/config';
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

  it('refuses a ClickHouse URL with credentials, which go in their own variables', () => {
    const withPassword = { ...base, CLICKHOUSE_URL: 'http://user:hunter2@clickhouse:8123' };
    for (const env of [withPassword, { ...withPassword, CLICKHOUSE_URL_SECRET: 'clickhouse' }]) {
      try {
        loadEnv(env);
        expect.unreachable();
      } catch (error) {
        const message = (error as ConfigError).message;
        expect(message).toMatch(/CLICKHOUSE_URL: carries credentials: .*CLICKHOUSE_USER/);
        expect(message).not.toContain('hunter2');
      }
    }
  });

  it('connects to Kafka and ClickHouse as the apps do', () => {
    const env = loadEnv({
      ...base,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'operator',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      KAFKA_TLS: 'true',
      CLICKHOUSE_USER: 'operator',
      CLICKHOUSE_PASSWORD: 'clickhouse-password',
    });
    expect(kafkaConnection(env)).toEqual({
      brokers: ['kafka-0:9092', 'kafka-1:9092'],
      tls: {},
      sasl: { mechanism: 'scram-sha-256', username: 'operator', password: 'kafka-password' },
    });
    expect(clickHouseServer(env)).toEqual({
      kind: 'server',
      url: 'http://clickhouse:8123',
      username: 'operator',
      password: 'clickhouse-password',
    });
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
