import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1OwnerReference,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  KIND,
  resolveSpec,
  type ResolvedSpec,
  type WikiStream,
} from './wikistream.js';

/** What the children need to know beyond the WikiStream itself: the installation's settings. */
export interface ChildSettings {
  /** One image with an entrypoint per app. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  kafkaBrokers: readonly string[];
  /**
   * How the sink reaches ClickHouse: a plain URL without credentials, or a Secret key holding
   * the URL (credentials may ride in it), so no password lands in a Deployment.
   */
  clickhouse: { url: string } | { secretName: string; secretKey: string };
  metricsPort: number;
}

export type Role = 'ingestor' | 'sink';

export const MANAGED_BY = 'wikipulse-operator';

export function childName(stream: WikiStream, role: Role): string {
  return `${stream.metadata.name}-${role}`;
}

export function selectorLabels(stream: WikiStream, role: Role): Record<string, string> {
  return {
    'app.kubernetes.io/name': `wikipulse-${role}`,
    'app.kubernetes.io/instance': stream.metadata.name,
    'app.kubernetes.io/component': role,
  };
}

function labels(stream: WikiStream, role: Role): Record<string, string> {
  return {
    ...selectorLabels(stream, role),
    'app.kubernetes.io/part-of': 'wikipulse',
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

export function ownerReference(stream: WikiStream): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: stream.metadata.name,
    uid: stream.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The consumer group of a stream's sinks: stable across restarts, unique per stream. */
export function sinkGroupId(stream: WikiStream): string {
  return `wikipulse-sink.${stream.metadata.namespace}.${stream.metadata.name}`;
}

function env(values: Record<string, string>): V1EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

function clickHouseUrlEnv(settings: ChildSettings): V1EnvVar {
  if ('url' in settings.clickhouse)
    return { name: 'CLICKHOUSE_URL', value: settings.clickhouse.url };
  return {
    name: 'CLICKHOUSE_URL',
    valueFrom: {
      secretKeyRef: { name: settings.clickhouse.secretName, key: settings.clickhouse.secretKey },
    },
  };
}

function roleEnv(role: Role, stream: WikiStream, spec: ResolvedSpec, settings: ChildSettings) {
  const common = {
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    TOPIC: spec.topic,
    METRICS_PORT: String(settings.metricsPort),
  };
  if (role === 'ingestor') {
    return env({
      STREAM_URL: spec.url,
      WIKIS: spec.wikis.join(','),
      LANGS: spec.languages.join(','),
      ...common,
      TOPIC_PARTITIONS: String(spec.partitions),
    });
  }
  return [
    ...env({
      ...common,
      GROUP_ID: sinkGroupId(stream),
      CLICKHOUSE_DATABASE: spec.database,
      RETENTION_DAYS: String(spec.retentionDays),
    }),
    clickHouseUrlEnv(settings),
  ];
}

function container(role: Role, stream: WikiStream, spec: ResolvedSpec, settings: ChildSettings) {
  const probe = (path: string) => ({
    httpGet: { path, port: 'metrics' },
    periodSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    name: role,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    command: ['node', `apps/${role}/dist/main.js`],
    env: roleEnv(role, stream, spec, settings),
    ports: [{ name: 'metrics', containerPort: settings.metricsPort, protocol: 'TCP' }],
    livenessProbe: probe('/healthz'),
    readinessProbe: probe('/readyz'),
    resources: {
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
  } satisfies V1Container;
}

function deployment(
  role: Role,
  stream: WikiStream,
  spec: ResolvedSpec,
  settings: ChildSettings,
): V1Deployment {
  const replicas = role === 'ingestor' ? spec.ingestorReplicas : spec.sinkReplicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: childName(stream, role),
      namespace: stream.metadata.namespace,
      labels: labels(stream, role),
      ownerReferences: [ownerReference(stream)],
    },
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(stream, role) },
      // Two ingestors reading the stream at once would write every change twice.
      strategy: role === 'ingestor' ? { type: 'Recreate' } : { type: 'RollingUpdate' },
      template: {
        metadata: { labels: labels(stream, role) },
        spec: {
          // The apps never call the Kubernetes API.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container(role, stream, spec, settings)],
        },
      },
    },
  };
}

/** The Deployments a WikiStream owns, ingestor first. Pure: the same input gives the same objects. */
export function desiredDeployments(stream: WikiStream, settings: ChildSettings): V1Deployment[] {
  const spec = resolveSpec(stream.spec);
  return [
    deployment('ingestor', stream, spec, settings),
    deployment('sink', stream, spec, settings),
  ];
}

/** True once the Deployment's controller has rolled out its current spec and every replica is available. */
export function isAvailable(deployment: V1Deployment): boolean {
  const want = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  if (!status) return false;
  const generation = deployment.metadata?.generation ?? 0;
  return (
    (status.observedGeneration ?? 0) >= generation &&
    (status.updatedReplicas ?? 0) >= want &&
    (status.availableReplicas ?? 0) >= want
  );
}

/** True when an existing Deployment is ours and still matches what the stream asks for. */
export function matchesDesired(existing: V1Deployment | undefined, desired: V1Deployment): boolean {
  if (!existing) return false;
  const owner = existing.metadata?.ownerReferences?.find((ref) => ref.controller);
  const wanted = desired.metadata?.ownerReferences?.[0];
  return (
    owner?.uid === wanted?.uid &&
    existing.spec?.replicas === desired.spec?.replicas &&
    existing.spec?.template.spec?.containers[0]?.image ===
      desired.spec?.template.spec?.containers[0]?.image
  );
}
