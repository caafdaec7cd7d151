import { describe, expect, it } from 'vitest';
import { ConfigError, clickHouseTarget, kafkaConnection } from '@wikipulse/config';
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
      BATCH_MAX_ROWS: 5_000,
      BATCH_MAX_WAIT_MS: 200,
      METRICS_PORT: 9464,
      METRICS_HOST: '0.0.0.0',
    });
    expect(env.clickhousePath).toMatch(/\/\.data\/clickhouse$/);
    // The sink reads its table's retention and sets none: the database's owner does.
    expect(env).not.toHaveProperty('RETENTION_DAYS');
  });

  it('reads the Kafka and ClickHouse connections through the shared variables', () => {
    const env = loadEnv({
      KAFKA_BROKERS: 'a:9096',
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'sink',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      CLICKHOUSE_URL: 'https://clickhouse.example:8443',
      CLICKHOUSE_USER: 'sink',
      CLICKHOUSE_PASSWORD: 'clickhouse-password',
    });
    expect(kafkaConnection(env)).toEqual({
      brokers: ['a:9096'],
      tls: {},
      sasl: { mechanism: 'plain', username: 'sink', password: 'kafka-password' },
      deliveryTimeoutMs: 120_000,
    });
    expect(clickHouseTarget(env, env.clickhousePath)).toEqual({
      kind: 'server',
      url: 'https://clickhouse.example:8443',
      username: 'sink',
      password: 'clickhouse-password',
    });
    expect(clickHouseTarget(loadEnv({ KAFKA_BROKERS: 'a:9092' }), '/data')).toEqual({
      kind: 'embedded',
      path: '/data',
    });
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
