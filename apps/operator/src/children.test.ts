import { describe, expect, it } from 'vitest';
import {
  desiredDeployments,
  isAvailable,
  matchesDesired,
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
  metricsPort: 9464,
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
