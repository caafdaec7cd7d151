import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, kafkaConnection } from '@wikipulse/config';
import { hostname } from 'node:os';
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

  it('runs without election unless LEASE_NAME is set, as the pod with its defaults', () => {
    const plain = loadEnv([], { OUTPUT: 'stdout' });
    expect(plain.LEASE_NAME).toBeUndefined();
    expect(plain.POD_NAME).toBe(hostname());
    expect(plain.LEASE_DURATION_MS).toBe(10_000);

    const dir = mkdtempSync(join(tmpdir(), 'wikipulse-ingestor-env-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
    try {
      const elected = loadEnv([], {
        OUTPUT: 'stdout',
        LEASE_NAME: 'enwiki-ingestor',
        POD_NAME: 'enwiki-ingestor-5d9c-x2',
        POD_NAMESPACE: 'wikipulse',
        LEASE_DURATION_MS: '15000',
        KUBECONFIG: kubeconfig,
      });
      expect(elected).toMatchObject({
        LEASE_NAME: 'enwiki-ingestor',
        POD_NAME: 'enwiki-ingestor-5d9c-x2',
        POD_NAMESPACE: 'wikipulse',
        LEASE_DURATION_MS: 15_000,
        KUBECONFIG: kubeconfig,
      });
      // In a pod the API server comes from the service account: no KUBECONFIG needed.
      expect(
        loadEnv([], {
          OUTPUT: 'stdout',
          LEASE_NAME: 'enwiki-ingestor',
          POD_NAMESPACE: 'wikipulse',
          KUBERNETES_SERVICE_HOST: '10.96.0.1',
        }).KUBECONFIG,
      ).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reports every election problem at once', () => {
    try {
      // Outside a pod: no service account namespace file, no in-cluster API server.
      loadEnv([], {
        OUTPUT: 'stdout',
        LEASE_NAME: 'Enwiki_Ingestor',
        LEASE_DURATION_MS: '10500',
      });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^LEASE_NAME: a Kubernetes name/m);
      expect(problems).toMatch(/^LEASE_DURATION_MS: whole seconds/m);
    }
    try {
      loadEnv([], { OUTPUT: 'stdout', LEASE_NAME: 'enwiki-ingestor', LEASE_DURATION_MS: '1000' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^LEASE_DURATION_MS: /m);
      expect(problems).toMatch(/^POD_NAMESPACE: required with LEASE_NAME outside a pod/m);
      expect(problems).toMatch(/^KUBECONFIG: required with LEASE_NAME outside a pod/m);
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
