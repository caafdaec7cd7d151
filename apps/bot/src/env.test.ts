import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import { afterAll, describe, expect, it } from 'vitest';
import { readBotEnv } from './env.js';

const dir = mkdtempSync(join(tmpdir(), 'wikipulse-bot-env-'));
const keyFile = join(dir, 'signing-key');
writeFileSync(keyFile, 'k'.repeat(48) + '\n');
const shortKeyFile = join(dir, 'short-key');
writeFileSync(shortKeyFile, 'short-secret\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bot environment', () => {
  it('reads the Kafka and ClickHouse connections through the shared variables', () => {
    const env = readBotEnv({
      BOT_ROLE: 'worker',
      COMMAND_SIGNING_KEY_FILE: keyFile,
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
        'COMMAND_SIGNING_KEY_FILE: required for BOT_ROLE=gateway: the gateway signs command records with it and the workers check them (unset)',
      ]);
    }
  });

  it('takes the command signing key from its file, and refuses a short one without quoting it', () => {
    const env = readBotEnv({
      BOT_ROLE: 'gateway',
      KAFKA_BROKERS: 'a:9092',
      COMMAND_SIGNING_KEY_FILE: keyFile,
    });
    expect(env.COMMAND_SIGNING_KEY_FILE?.text).toBe('k'.repeat(48));
    try {
      readBotEnv({
        BOT_ROLE: 'worker',
        KAFKA_BROKERS: 'a:9092',
        COMMAND_SIGNING_KEY_FILE: shortKeyFile,
      });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^COMMAND_SIGNING_KEY_FILE: holds fewer than 32 bytes/);
      expect(problems[0]).not.toContain('short-secret');
    }
  });

  it('needs no key where commands never cross Kafka', () => {
    expect(readBotEnv({ BOT_ROLE: 'standalone' }).COMMAND_SIGNING_KEY_FILE).toBeUndefined();
  });
});
