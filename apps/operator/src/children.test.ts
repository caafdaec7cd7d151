import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  desiredDeployments,
  isAvailable,
  matchesDesired,
  SECRET_FILES,
  sinkGroupId,
  type ChildSettings,
} from './children.js';
import type { WikiStream } from './wikistream.js';

const stream: WikiStream = {
  apiVersion: 'wikipulse.io/v1alpha1',
  kind: 'WikiStream',
  metadata: { name: 'de', namespace: 'wiki', uid: 'uid-1', generation: 1 },
  spec: {
    source: { url: 'https://stream.example.test/rc', wikis: ['dewiki'], languages: ['de'] },
    kafka: { topic: 'changes.de', partitions: 4 },
    clickhouse: { database: 'wikipulse_de' },
    sink: { replicas: 2 },
  },
};

const settings: ChildSettings = {
  image: 'wikipulse:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  kafkaBrokers: ['kafka-0:9092', 'kafka-1:9092'],
  clickhouse: { url: 'http://clickhouse:8123' },
  connection: { kafkaTls: false, files: {} },
  metricsPort: 9464,
};

/** An external Kafka with TLS (a private CA) and SCRAM, ClickHouse over https with a private CA. */
const secured: ChildSettings = {
  ...settings,
  clickhouse: { url: 'https://clickhouse.example.test:8443' },
  connection: {
    kafkaTls: true,
    kafkaSaslMechanism: 'scram-sha-512',
    kafkaSaslUsername: { name: 'kafka-credentials', key: 'username' },
    clickhouseUser: { name: 'clickhouse-credentials', key: 'username' },
    files: {
      KAFKA_TLS_CA_FILE: { name: 'kafka-ca', key: 'ca.pem' },
      KAFKA_SASL_PASSWORD_FILE: { name: 'kafka-credentials', key: 'password' },
      CLICKHOUSE_PASSWORD_FILE: { name: 'clickhouse-credentials', key: 'password' },
      CLICKHOUSE_TLS_CA_FILE: { name: 'clickhouse-ca', key: 'ca.crt' },
    },
  },
};

function envOf(deployment: ReturnType<typeof desiredDeployments>[number]) {
  const container = deployment.spec?.template.spec?.containers[0];
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

describe('desiredDeployments', () => {
  const [ingestor, sink] = desiredDeployments(stream, settings);

  it('gives the ingestor the stream, its filters and the topic, and nothing of ClickHouse', () => {
    expect(ingestor?.metadata?.name).toBe('de-ingestor');
    expect(envOf(ingestor!)).toEqual({
      STREAM_URL: 'https://stream.example.test/rc',
      WIKIS: 'dewiki',
      LANGS: 'de',
      KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
      TOPIC: 'changes.de',
      TOPIC_PARTITIONS: '4',
      METRICS_PORT: '9464',
    });
    expect(ingestor?.spec?.strategy?.type).toBe('Recreate');
  });

  it('gives the sink its group, database and the defaulted retention', () => {
    expect(envOf(sink!)).toEqual({
      KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
      TOPIC: 'changes.de',
      METRICS_PORT: '9464',
      GROUP_ID: 'wikipulse-sink.wiki.de',
      CLICKHOUSE_DATABASE: 'wikipulse_de',
      RETENTION_DAYS: '30',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
    });
    expect(sink?.spec?.replicas).toBe(2);
    expect(sinkGroupId(stream)).toBe('wikipulse-sink.wiki.de');
  });

  it('reads the ClickHouse URL from a Secret when told to', () => {
    const [, fromSecret] = desiredDeployments(stream, {
      ...settings,
      clickhouse: { secretName: 'ch', secretKey: 'url' },
    });
    expect(envOf(fromSecret!).CLICKHOUSE_URL).toEqual({
      secretKeyRef: { name: 'ch', key: 'url' },
    });
  });

  it('makes the stream the controlling owner, with selectors that match the pod labels', () => {
    for (const deployment of [ingestor!, sink!]) {
      expect(deployment.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'wikipulse.io/v1alpha1',
          kind: 'WikiStream',
          name: 'de',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject(
        deployment.spec?.selector.matchLabels ?? { missing: 'selector' },
      );
    }
  });

  it('runs restricted: non-root, no privilege escalation, no capabilities, read-only root, probes on the metrics port', () => {
    const pod = sink?.spec?.template.spec;
    const container = pod?.containers[0];
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container?.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
  });

  it('is pure: the same stream gives the same objects', () => {
    expect(desiredDeployments(stream, settings)).toEqual(desiredDeployments(stream, settings));
  });
});

describe('desiredDeployments against a secured Kafka and ClickHouse', () => {
  const [ingestor, sink] = desiredDeployments(stream, secured);

  function pod(deployment: ReturnType<typeof desiredDeployments>[number]) {
    const spec = deployment.spec?.template.spec;
    return { container: spec?.containers[0], volumes: spec?.volumes ?? [] };
  }

  it('gives the ingestor the Kafka settings, its Secret files by path, and nothing of ClickHouse', () => {
    expect(envOf(ingestor!)).toMatchObject({
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: { secretKeyRef: { name: 'kafka-credentials', key: 'username' } },
      KAFKA_TLS_CA_FILE: '/var/run/secrets/wikipulse/kafka-tls-ca/ca.crt',
      KAFKA_SASL_PASSWORD_FILE: '/var/run/secrets/wikipulse/kafka-sasl-password/password',
    });
    expect(Object.keys(envOf(ingestor!)).filter((name) => name.startsWith('CLICKHOUSE'))).toEqual(
      [],
    );
    expect(pod(ingestor!).volumes.map((v) => v.name)).toEqual([
      'kafka-tls-ca',
      'kafka-sasl-password',
    ]);
  });

  it('gives the sink the Kafka and the ClickHouse settings', () => {
    expect(envOf(sink!)).toMatchObject({
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      CLICKHOUSE_URL: 'https://clickhouse.example.test:8443',
      CLICKHOUSE_USER: { secretKeyRef: { name: 'clickhouse-credentials', key: 'username' } },
      CLICKHOUSE_PASSWORD_FILE: '/var/run/secrets/wikipulse/clickhouse-password/password',
      CLICKHOUSE_TLS_CA_FILE: '/var/run/secrets/wikipulse/clickhouse-tls-ca/ca.crt',
    });
    expect(pod(sink!).volumes.map((v) => v.name)).toEqual([
      'kafka-tls-ca',
      'kafka-sasl-password',
      'clickhouse-password',
      'clickhouse-tls-ca',
    ]);
  });

  it('puts no secret in the environment: each one is a file of a read-only Secret volume', () => {
    for (const deployment of [ingestor!, sink!]) {
      const { container, volumes } = pod(deployment);
      const env = container?.env ?? [];
      expect(env.map((e) => e.name)).not.toContain('KAFKA_SASL_PASSWORD');
      expect(env.map((e) => e.name)).not.toContain('CLICKHOUSE_PASSWORD');
      for (const variable of env.filter((e) => e.name.endsWith('_FILE'))) {
        const mount = container?.volumeMounts?.find((m) =>
          variable.value?.startsWith(`${m.mountPath}/`),
        );
        expect(mount?.readOnly, variable.name).toBe(true);
        const volume = volumes.find((v) => v.name === mount?.name);
        expect(volume?.secret?.defaultMode).toBe(0o440);
        expect(`${mount?.mountPath}/${volume?.secret?.items?.[0]?.path}`).toBe(variable.value);
      }
      expect(container?.volumeMounts).toHaveLength(volumes.length);
      expect(deployment.spec?.template.spec?.securityContext?.fsGroup).toBe(10001);
    }
    expect(pod(sink!).volumes.find((v) => v.name === 'kafka-tls-ca')?.secret).toEqual({
      secretName: 'kafka-ca',
      items: [{ key: 'ca.pem', path: 'ca.crt' }],
      defaultMode: 0o440,
    });
  });

  it('mounts a client certificate and key for mutual TLS, and an OAUTHBEARER token', () => {
    const [mutual] = desiredDeployments(stream, {
      ...settings,
      connection: {
        kafkaTls: true,
        kafkaSaslMechanism: 'oauthbearer',
        files: {
          KAFKA_TLS_CERT_FILE: { name: 'kafka-client', key: 'tls.crt' },
          KAFKA_TLS_KEY_FILE: { name: 'kafka-client', key: 'tls.key' },
          KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: { name: 'kafka-token', key: 'token' },
        },
      },
    });
    expect(envOf(mutual!)).toMatchObject({
      KAFKA_TLS_CERT_FILE: '/var/run/secrets/wikipulse/kafka-tls-cert/tls.crt',
      KAFKA_TLS_KEY_FILE: '/var/run/secrets/wikipulse/kafka-tls-key/tls.key',
      KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: '/var/run/secrets/wikipulse/kafka-sasl-token/token',
    });
    expect(envOf(mutual!)).not.toHaveProperty('KAFKA_SASL_USERNAME');
  });

  it('passes a plain user name as a value (a Strimzi KafkaUser)', () => {
    const [strimzi] = desiredDeployments(stream, {
      ...secured,
      connection: { ...secured.connection, kafkaSaslUsername: 'wikipulse-apps' },
    });
    expect(envOf(strimzi!).KAFKA_SASL_USERNAME).toBe('wikipulse-apps');
  });

  it('leaves a pod without Secret files as it was: no volumes, no mounts', () => {
    const [plain] = desiredDeployments(stream, settings);
    expect(plain?.spec?.template.spec).not.toHaveProperty('volumes');
    expect(plain?.spec?.template.spec?.containers[0]).not.toHaveProperty('volumeMounts');
  });

  it('mounts each variable where the chart mounts it', () => {
    const source = readFileSync(
      new URL('../../../charts/wikipulse/templates/_connection.tpl', import.meta.url),
      'utf8',
    );
    const table = /define "wikipulse.secretFiles" -}}\n([\s\S]*?){{- end }}/.exec(source)?.[1];
    expect(parse(table ?? '')).toEqual(SECRET_FILES);
  });
});

describe('matchesDesired and isAvailable', () => {
  const [, sink] = desiredDeployments(stream, settings);

  it('accepts our own unchanged Deployment and rejects a missing, foreign or rescaled one', () => {
    expect(matchesDesired(structuredClone(sink), sink!)).toBe(true);
    expect(matchesDesired(undefined, sink!)).toBe(false);
    const foreign = structuredClone(sink!);
    foreign.metadata!.ownerReferences = [];
    expect(matchesDesired(foreign, sink!)).toBe(false);
    const rescaled = structuredClone(sink!);
    rescaled.spec!.replicas = 5;
    expect(matchesDesired(rescaled, sink!)).toBe(false);
  });

  it('rejects a Deployment applied with other settings: another image, or TLS turned on', () => {
    const [, upgraded] = desiredDeployments(stream, { ...settings, image: 'wikipulse:1.1.0' });
    const [, securedSink] = desiredDeployments(stream, secured);
    expect(matchesDesired(structuredClone(sink), upgraded!)).toBe(false);
    expect(matchesDesired(structuredClone(sink), securedSink!)).toBe(false);
    expect(matchesDesired(structuredClone(securedSink), securedSink!)).toBe(true);
  });

  it('counts a Deployment available only once its current generation is fully rolled out', () => {
    const rolled = { ...structuredClone(sink!), metadata: { generation: 3 } };
    expect(isAvailable(rolled)).toBe(false);
    expect(
      isAvailable({
        ...rolled,
        status: { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(false);
    expect(
      isAvailable({
        ...rolled,
        status: { observedGeneration: 3, updatedReplicas: 2, availableReplicas: 1 },
      }),
    ).toBe(false);
    expect(
      isAvailable({
        ...rolled,
        status: { observedGeneration: 3, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(true);
  });
});
