import { ConfigError, clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.js';

describe('the local run environment', () => {
  it('needs no Kafka and no ClickHouse server, and takes them through the shared variables', () => {
    const plain = loadEnv([], { KAFKA_BROKERS: '', CLICKHOUSE_URL: '' });
    expect(kafkaConnection(plain)).toEqual({ brokers: [], deliveryTimeoutMs: 120_000 });
    expect(clickHouseTarget(plain, '/data/clickhouse')).toEqual({
      kind: 'embedded',
      path: '/data/clickhouse',
    });

    const secured = loadEnv([], {
      KAFKA_BROKERS: 'kafka.example:9093',
      KAFKA_TLS: 'true',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
      CLICKHOUSE_USER: 'wikipulse',
    });
    expect(kafkaConnection(secured)).toEqual({
      brokers: ['kafka.example:9093'],
      tls: {},
      deliveryTimeoutMs: 120_000,
    });
    expect(clickHouseTarget(secured, '/data/clickhouse')).toEqual({
      kind: 'server',
      url: 'http://clickhouse:8123',
      username: 'wikipulse',
    });
  });

  it('refuses ClickHouse credentials inside the URL', () => {
    expect(() => loadEnv([], { CLICKHOUSE_URL: 'http://u:p@clickhouse:8123' })).toThrow(
      ConfigError,
    );
  });
});
