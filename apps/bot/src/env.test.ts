import { ConfigError, clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import { describe, expect, it } from 'vitest';
import { readBotEnv } from './env.js';

describe('the bot environment', () => {
  it('reads the Kafka and ClickHouse connections through the shared variables', () => {
    const env = readBotEnv({
      BOT_ROLE: 'worker',
      KAFKA_BROKERS: 'a:9096',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bot',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      CLICKHOUSE_URL: 'https://clickhouse.example:8443',
      CLICKHOUSE_USER: 'bot',
      CLICKHOUSE_PASSWORD: 'clickhouse-password',
    });
    expect(kafkaConnection(env)).toEqual({
      brokers: ['a:9096'],
      sasl: { mechanism: 'scram-sha-512', username: 'bot', password: 'kafka-password' },
      deliveryTimeoutMs: 120_000,
    });
    expect(clickHouseTarget(env, env.CLICKHOUSE_PATH)).toEqual({
      kind: 'server',
      url: 'https://clickhouse.example:8443',
      username: 'bot',
      password: 'clickhouse-password',
    });
  });

  it('reports the connection problems with its own, never echoing a secret', () => {
    try {
      readBotEnv({
        BOT_ROLE: 'gateway',
        CLICKHOUSE_PASSWORD: 'clickhouse-password',
        KAFKA_SASL_PASSWORD: 'kafka-password',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual([
        'KAFKA_SASL_PASSWORD: set, but KAFKA_SASL_MECHANISM is not (set)',
        'CLICKHOUSE_PASSWORD: only with CLICKHOUSE_URL (the embedded engine has no users and no TLS) (set)',
        'KAFKA_BROKERS: required for BOT_ROLE=gateway (unset)',
      ]);
    }
  });
});
