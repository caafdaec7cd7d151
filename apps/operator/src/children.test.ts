import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type {
  KubernetesObject,
  V1NetworkPolicy,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
} from '@kubernetes/client-node';
import {
  desiredChildren,
  desiredDeployments,
  isAvailable,
  SECRET_FILES,
  sinkGroupId,
  type ChildSettings,
  type PodSettings,
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

const pod: PodSettings = {
  nodeFlags: ['--max-old-space-size=96'],
  logLevel: 'info',
  resources: { requests: { cpu: '100m', memory: '160Mi' }, limits: { memory: '256Mi' } },
  extraEnv: [],
  extraEnvFrom: [],
  extraVolumes: [],
  extraVolumeMounts: [],
  nodeSelector: {},
  tolerations: [],
  topologySpreadConstraints: [],
  podLabels: {},
  podAnnotations: {},
  pdbMaxUnavailable: 1,
};

const settings: ChildSettings = {
  image: 'wikipulse:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  kafkaBrokers: ['kafka-0:9092', 'kafka-1:9092'],
  clickhouse: { url: 'http://clickhouse:8123' },
  connection: { kafkaTls: false, files: {} },
  metricsPort: 9464,
  pods: { ingestor: pod, sink: { ...pod, nodeFlags: ['--max-old-space-size=192'] } },
  serviceMonitor: { interval: '30s', labels: {} },
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

/** Secret volumes only: every pod also has its /tmp scratch volume. */
function secretVolumes(deployment: ReturnType<typeof desiredDeployments>[number]) {
  return (deployment.spec?.template.spec?.volumes ?? []).filter((v) => v.secret);
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
      LOG_LEVEL: 'info',
      MALLOC_ARENA_MAX: '1',
      MALLOC_MMAP_THRESHOLD_: '65536',
      LEASE_NAME: 'de-ingestor',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(ingestor?.spec?.strategy?.type).toBe('Recreate');
  });

  it("gives the sink its group and database, and no retention (the sink reads its table's)", () => {
    expect(envOf(sink!)).toEqual({
      KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
      TOPIC: 'changes.de',
      TOPIC_PARTITIONS: '4',
      METRICS_PORT: '9464',
      LOG_LEVEL: 'info',
      GROUP_ID: 'wikipulse-sink.wiki.de',
      CLICKHOUSE_DATABASE: 'wikipulse_de',
      PARTITIONS_CONSUMED_CONCURRENTLY: '4',
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

  it('runs restricted: non-root, no privilege escalation, no capabilities, read-only root, probes on the ops port', () => {
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
    expect(pod).not.toHaveProperty('serviceAccountName');
    expect(container?.startupProbe).toEqual({
      httpGet: { path: '/healthz', port: 'ops' },
      periodSeconds: 2,
      failureThreshold: 30,
    });
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(container?.ports).toEqual([{ name: 'ops', containerPort: 9464, protocol: 'TCP' }]);
    expect(container?.resources).toEqual(settings.pods.sink.resources);
    expect(container?.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod?.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it("puts each app's Node flags on its command line", () => {
    expect(ingestor?.spec?.template.spec?.containers[0]?.command).toEqual([
      'node',
      '--max-old-space-size=96',
      'apps/ingestor/dist/main.js',
    ]);
    expect(sink?.spec?.template.spec?.containers[0]?.command).toEqual([
      'node',
      '--max-old-space-size=192',
      'apps/sink/dist/main.js',
    ]);
  });

  it('gives only the ingestor a ServiceAccount token, for its own Lease', () => {
    expect(ingestor?.spec?.template.spec).toMatchObject({
      serviceAccountName: 'de-ingestor',
      automountServiceAccountToken: true,
    });
  });

  it("lets the stream replace the operator's scheduling and resources, and add labels and annotations", () => {
    const placed: WikiStream = {
      ...stream,
      spec: {
        ...stream.spec,
        sink: {
          replicas: 2,
          resources: { requests: { cpu: '1' } },
          nodeSelector: { pool: 'pipeline' },
          tolerations: [{ key: 'dedicated', operator: 'Exists' }],
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
            },
          ],
          priorityClassName: 'pipeline',
          podLabels: { team: 'wiki', 'app.kubernetes.io/name': 'taken' },
          podAnnotations: { note: 'de' },
        },
      },
    };
    const defaults: ChildSettings = {
      ...settings,
      imagePullSecrets: ['registry'],
      pods: {
        ...settings.pods,
        sink: {
          ...settings.pods.sink,
          nodeSelector: { pool: 'default' },
          podLabels: { cost: 'shared' },
          podAnnotations: { scrape: 'yes' },
          affinity: { nodeAffinity: {} },
        },
      },
    };
    const [, placedSink] = desiredDeployments(placed, defaults);
    const template = placedSink?.spec?.template;
    expect(template?.metadata?.labels).toMatchObject({
      team: 'wiki',
      cost: 'shared',
      'app.kubernetes.io/name': 'wikipulse-sink',
    });
    expect(template?.metadata?.annotations).toEqual({ scrape: 'yes', note: 'de' });
    expect(template?.spec).toMatchObject({
      nodeSelector: { pool: 'pipeline' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      priorityClassName: 'pipeline',
      affinity: { nodeAffinity: {} },
      imagePullSecrets: [{ name: 'registry' }],
    });
    expect(template?.spec?.topologySpreadConstraints).toHaveLength(1);
    expect(template?.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '1' } });
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
    expect(secretVolumes(ingestor!).map((v) => v.name)).toEqual([
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
    expect(secretVolumes(sink!).map((v) => v.name)).toEqual([
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

  it('mounts no Secret in a pod without Secret files', () => {
    const [plain] = desiredDeployments(stream, settings);
    expect(secretVolumes(plain!)).toEqual([]);
    expect(plain?.spec?.template.spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  it('mounts each variable where the chart mounts it', () => {
    const source = readFileSync(
      new URL('../../../charts/wikipulse/templates/_connection.tpl', import.meta.url),
      'utf8',
    );
    const table = /define "wikipulse.secretFiles" -}}\n([\s\S]*?){{- end }}/.exec(source)?.[1];
    // The chart's table also holds the bot's command signing key, which no pipeline pod takes.
    const { COMMAND_SIGNING_KEY_FILE: _bot, ...pipeline } = parse(table ?? '') as Record<
      string,
      unknown
    >;
    expect(_bot).toBeDefined();
    expect(pipeline).toEqual(SECRET_FILES);
  });
});

describe('isAvailable', () => {
  const [, sink] = desiredDeployments(stream, settings);

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

describe('desiredChildren', () => {
  const networkPolicy = {
    metricsFrom: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
    dns: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }] }],
    kafka: [{ to: [{ podSelector: { matchLabels: { kafka: 'yes' } } }], ports: [{ port: 9092 }] }],
    clickhouse: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 8123 }] }],
    eventStreams: [{ ports: [{ port: 443, protocol: 'TCP' }] }],
  };
  const all = desiredChildren(stream, { ...settings, networkPolicy }, { serviceMonitors: true });
  const find = (kind: string, name: string): KubernetesObject | undefined =>
    all.find((o) => o.kind === kind && o.metadata?.name === name);

  it('owns every child, and applies the Deployments last', () => {
    expect(all.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ServiceAccount/de-ingestor',
      'Role/de-ingestor',
      'RoleBinding/de-ingestor',
      'Service/de-ingestor',
      'Service/de-sink',
      'PodDisruptionBudget/de-ingestor',
      'PodDisruptionBudget/de-sink',
      'NetworkPolicy/de-ingestor',
      'NetworkPolicy/de-sink',
      'ServiceMonitor/de-ingestor',
      'ServiceMonitor/de-sink',
      'Deployment/de-ingestor',
      'Deployment/de-sink',
    ]);
    for (const child of all) {
      expect(child.metadata?.ownerReferences?.[0]?.uid, child.kind).toBe('uid-1');
      expect(child.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('wikipulse-operator');
    }
  });

  it('serves the ops port of each app through a Service that selects its pods', () => {
    const service = find('Service', 'de-sink') as V1Service | undefined;
    const [, sink] = desiredDeployments(stream, settings);
    expect(service?.spec?.selector).toEqual(sink?.spec?.selector.matchLabels);
    expect(service?.spec?.ports).toEqual([
      { name: 'ops', port: 9464, targetPort: 'ops', protocol: 'TCP' },
    ]);
  });

  it('lets the ingestor read and renew its own Lease only, and create it', () => {
    const role = find('Role', 'de-ingestor') as V1Role | undefined;
    expect(role?.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['de-ingestor'],
        verbs: ['get', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const binding = find('RoleBinding', 'de-ingestor') as V1RoleBinding | undefined;
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'de-ingestor', namespace: 'wiki' },
    ]);
  });

  it('denies all but scrapes in, and DNS, Kafka and the one other destination each app needs out', () => {
    const ingestor = find('NetworkPolicy', 'de-ingestor') as V1NetworkPolicy | undefined;
    const sink = find('NetworkPolicy', 'de-sink') as V1NetworkPolicy | undefined;
    const [ingestorDeployment] = desiredDeployments(stream, settings);
    expect(ingestor?.spec?.podSelector?.matchLabels).toEqual(
      ingestorDeployment?.spec?.selector.matchLabels,
    );
    expect(ingestor?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(ingestor?.spec?.ingress).toEqual([
      { from: networkPolicy.metricsFrom, ports: [{ port: 9464, protocol: 'TCP' }] },
    ]);
    expect(ingestor?.spec?.egress).toEqual([
      ...networkPolicy.dns,
      ...networkPolicy.kafka,
      ...networkPolicy.eventStreams,
    ]);
    expect(sink?.spec?.egress).toEqual([
      ...networkPolicy.dns,
      ...networkPolicy.kafka,
      ...networkPolicy.clickhouse,
    ]);
  });

  it('leaves out budgets, policies and monitors that are turned off or not served', () => {
    const withoutBudget: PodSettings = { ...pod };
    delete withoutBudget.pdbMaxUnavailable;
    const bare = desiredChildren(
      stream,
      {
        ...settings,
        pods: { ingestor: withoutBudget, sink: pod },
      },
      { serviceMonitors: false },
    );
    expect(bare.map((o) => o.kind).sort()).toEqual(
      [
        'Deployment',
        'Deployment',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const budget = bare.find((o) => o.kind === 'PodDisruptionBudget') as V1PodDisruptionBudget;
    expect(budget.metadata?.name).toBe('de-sink');
    expect(budget.spec?.maxUnavailable).toBe(1);
  });

  it("changes the pod template when the operator's own settings change", () => {
    const template = (s: ChildSettings) =>
      desiredChildren(stream, s, { serviceMonitors: false }).filter((o) => o.kind === 'Deployment');
    const before = template(settings);
    const after = template({
      ...settings,
      pods: {
        ...settings.pods,
        sink: { ...settings.pods.sink, nodeFlags: ['--max-old-space-size=256'] },
      },
    });
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).not.toEqual(before[1]);
  });
});
