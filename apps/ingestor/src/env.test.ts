import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, kafkaConnection } from '@wikipulse/config';
import { argvOverrides, loadEnv } from './env.js';

describe('ingestor configuration', () => {
  it('has defaults for everything but the brokers', () => {
    const env = loadEnv([], { KAFKA_BROKERS: 'a:9092, b:9092' });
    expect(env).toMatchObject({
      STREAM_URL: 'https://stream.wikimedia.org/v2/stream/recentchange',
      OUTPUT: 'kafka',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      TOPIC: 'wikipulse.recentchange',
      TOPIC_PARTITIONS: 6,
      DEDUP_WINDOW: 100_000,
      STALL_TIMEOUT_MS: 30_000,
      WIKIS: [],
      SINCE: '',
    });
    expect(env.USER_AGENT).toMatch(/^Wikipulse-ingestor\/\S+ \(.+\) eventsource\/4$/);
  });

  it('needs no Kafka for stdout and a file for jsonl, reporting every problem at once', () => {
    expect(loadEnv([], { OUTPUT: 'stdout' }).OUTPUT).toBe('stdout');
    try {
      loadEnv([], { OUTPUT: 'jsonl', SINCE: 'someday', STALL_TIMEOUT_MS: '0' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/OUTPUT_FILE/);
      expect(problems).toMatch(/SINCE/);
      expect(problems).toMatch(/STALL_TIMEOUT_MS/);
    }
  });

  it('reads the Kafka connection through the shared variables, their problems with the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wikipulse-ingestor-env-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'eyJhbGciOiJub25lIn0.e30.');
    try {
      const env = loadEnv([], {
        KAFKA_BROKERS: 'a:9098',
        KAFKA_TLS: '1',
        KAFKA_SASL_MECHANISM: 'oauthbearer',
        KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile,
      });
      expect(kafkaConnection(env)).toEqual({
        brokers: ['a:9098'],
        tls: {},
        sasl: { mechanism: 'oauthbearer', tokenFile },
        deliveryTimeoutMs: 120_000,
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
    try {
      loadEnv([], {
        KAFKA_BROKERS: 'a:9092',
        SINCE: 'someday',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_PASSWORD: 'hunter2',
      });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual([
        'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=scram-sha-512 (unset)',
        expect.stringMatching(/^SINCE: /),
      ]);
    }
  });

  it('takes --since from the command line over SINCE', () => {
    expect(argvOverrides(['--since', '2026-01-01'])).toEqual({ SINCE: '2026-01-01' });
    expect(argvOverrides(['--since=1700000000000'])).toEqual({ SINCE: '1700000000000' });
    expect(loadEnv(['--since', '1700000000000'], { OUTPUT: 'stdout', SINCE: 'x' }).SINCE).toBe(
      '1700000000000',
    );
    expect(() => argvOverrides(['--since'])).toThrow(/needs a time/);
    expect(() => argvOverrides(['--verbose'])).toThrow(/unknown argument/);
  });
});
