import { ConfigError, clickHouseServer, kafkaConnection } from '@wikipulse/config';
import { describe, expect, it } from 'vitest';
import { childConnection, childSettings, loadEnv } from './env.js';

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
      deliveryTimeoutMs: 120_000,
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

  it('passes no connection settings on to the pods by default', () => {
    expect(childConnection(loadEnv(base))).toEqual({ kafkaTls: false, files: {} });
  });

  it('turns the APP_*_SECRET variables into the Secret keys the pods mount', () => {
    const env = loadEnv({
      ...base,
      APP_KAFKA_TLS: 'true',
      APP_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      APP_KAFKA_SASL_USERNAME: 'wikipulse-apps',
      APP_KAFKA_TLS_CA_SECRET: 'wikipulse-cluster-ca-cert/ca.crt',
      APP_KAFKA_SASL_PASSWORD_SECRET: 'wikipulse-apps/password',
      APP_CLICKHOUSE_USER_SECRET: 'clickhouse/username',
      APP_CLICKHOUSE_PASSWORD_SECRET: 'clickhouse/password',
      APP_CLICKHOUSE_TLS_CA_SECRET: 'clickhouse-ca/ca.crt',
    });
    expect(childConnection(env)).toEqual({
      kafkaTls: true,
      kafkaSaslMechanism: 'scram-sha-512',
      kafkaSaslUsername: 'wikipulse-apps',
      clickhouseUser: { name: 'clickhouse', key: 'username' },
      files: {
        KAFKA_TLS_CA_FILE: { name: 'wikipulse-cluster-ca-cert', key: 'ca.crt' },
        KAFKA_SASL_PASSWORD_FILE: { name: 'wikipulse-apps', key: 'password' },
        CLICKHOUSE_PASSWORD_FILE: { name: 'clickhouse', key: 'password' },
        CLICKHOUSE_TLS_CA_FILE: { name: 'clickhouse-ca', key: 'ca.crt' },
      },
    });
  });

  it('refuses pod settings the apps could not work with', () => {
    const problems = (variables: Record<string, string>) => {
      try {
        loadEnv({ ...base, ...variables });
        return '';
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
    };
    expect(problems({ APP_KAFKA_TLS_CA_SECRET: 'kafka-ca' })).toMatch(
      /APP_KAFKA_TLS_CA_SECRET: a Secret key as name\/key/,
    );
    const scram = problems({ APP_KAFKA_TLS: 'true', APP_KAFKA_SASL_MECHANISM: 'scram-sha-256' });
    expect(scram).toMatch(/APP_KAFKA_SASL_USERNAME: required by scram-sha-256/);
    expect(scram).toMatch(/APP_KAFKA_SASL_PASSWORD_SECRET: required by scram-sha-256/);
    expect(
      problems({
        APP_KAFKA_SASL_MECHANISM: 'plain',
        APP_KAFKA_SASL_USERNAME: 'key',
        APP_KAFKA_SASL_PASSWORD_SECRET: 'confluent/secret',
      }),
    ).toMatch(/APP_KAFKA_TLS: must be true with plain/);
    expect(problems({ APP_KAFKA_TLS: 'true', APP_KAFKA_SASL_MECHANISM: 'oauthbearer' })).toMatch(
      /APP_KAFKA_SASL_OAUTHBEARER_TOKEN_SECRET: required by oauthbearer/,
    );
    expect(problems({ APP_KAFKA_TLS_CA_SECRET: 'kafka-ca/ca.crt' })).toMatch(
      /APP_KAFKA_TLS_CA_SECRET: needs APP_KAFKA_TLS=true/,
    );
    const clientCertificate = problems({ APP_CLICKHOUSE_TLS_CERT_SECRET: 'client/tls.crt' });
    expect(clientCertificate).toMatch(
      /APP_CLICKHOUSE_TLS_KEY_SECRET: a client certificate needs its key/,
    );
    expect(clientCertificate).toMatch(
      /APP_CLICKHOUSE_TLS_CA_SECRET: required with APP_CLICKHOUSE_TLS_CERT_SECRET/,
    );
    expect(
      problems({ APP_CLICKHOUSE_USER: 'wikipulse', APP_CLICKHOUSE_USER_SECRET: 'ch/user' }),
    ).toMatch(/APP_CLICKHOUSE_USER: set it or APP_CLICKHOUSE_USER_SECRET, not both/);
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

  it("reads the pods' settings the chart hands over as JSON, and fills in what is left out", () => {
    const settings = childSettings(
      loadEnv({
        ...base,
        APP_IMAGE_PULL_SECRETS: 'registry, mirror',
        APP_SINK_POD: JSON.stringify({
          nodeFlags: ['--max-old-space-size=192'],
          resources: { limits: { memory: '384Mi' } },
          priorityClassName: 'pipeline',
          pdbMaxUnavailable: 1,
        }),
        APP_SERVICE_MONITOR_LABELS: '{"release":"prometheus"}',
      }),
    );
    expect(settings.imagePullSecrets).toEqual(['registry', 'mirror']);
    expect(settings.pods.sink).toEqual({
      nodeFlags: ['--max-old-space-size=192'],
      logLevel: 'info',
      resources: { limits: { memory: '384Mi' } },
      extraEnv: [],
      extraEnvFrom: [],
      extraVolumes: [],
      extraVolumeMounts: [],
      nodeSelector: {},
      tolerations: [],
      topologySpreadConstraints: [],
      priorityClassName: 'pipeline',
      podLabels: {},
      podAnnotations: {},
      pdbMaxUnavailable: 1,
    });
    expect(settings.pods.ingestor).not.toHaveProperty('pdbMaxUnavailable');
    expect(settings).not.toHaveProperty('networkPolicy');
    expect(settings.serviceMonitor).toEqual({ interval: '30s', labels: { release: 'prometheus' } });
  });

  it('refuses pod settings that are not JSON or not a Node flag, naming the variable', () => {
    expect(() => loadEnv({ ...base, APP_INGESTOR_POD: '{nodeFlags:' })).toThrow(
      /APP_INGESTOR_POD: not JSON/,
    );
    expect(() =>
      loadEnv({ ...base, APP_SINK_POD: JSON.stringify({ nodeFlags: ['rm -rf /'] }) }),
    ).toThrow(/APP_SINK_POD/);
  });
});
