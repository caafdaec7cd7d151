import { createHash } from 'node:crypto';
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { SaslMechanism } from '@wikipulse/kafka';
import {
  API_VERSION,
  KIND,
  resolveSpec,
  type ResolvedSpec,
  type WikiStream,
} from './wikistream.js';

/** A key of a Secret in the stream's namespace. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/**
 * The app variables that name a file filled from a Secret, and where that file is: each Secret
 * key is projected onto a fixed name in a read-only volume of its own, mounted at
 * `/var/run/secrets/wikipulse/<volume>`. The chart mounts the same paths in its own pods
 * (`wikipulse.secretFiles`), so a variable means the same file everywhere.
 */
export const SECRET_FILES = {
  KAFKA_TLS_CA_FILE: { volume: 'kafka-tls-ca', file: 'ca.crt' },
  KAFKA_TLS_CERT_FILE: { volume: 'kafka-tls-cert', file: 'tls.crt' },
  KAFKA_TLS_KEY_FILE: { volume: 'kafka-tls-key', file: 'tls.key' },
  KAFKA_SASL_PASSWORD_FILE: { volume: 'kafka-sasl-password', file: 'password' },
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: { volume: 'kafka-sasl-token', file: 'token' },
  CLICKHOUSE_PASSWORD_FILE: { volume: 'clickhouse-password', file: 'password' },
  CLICKHOUSE_TLS_CA_FILE: { volume: 'clickhouse-tls-ca', file: 'ca.crt' },
  CLICKHOUSE_TLS_CERT_FILE: { volume: 'clickhouse-tls-cert', file: 'tls.crt' },
  CLICKHOUSE_TLS_KEY_FILE: { volume: 'clickhouse-tls-key', file: 'tls.key' },
} as const satisfies Record<string, { volume: string; file: string }>;

export type SecretFileVariable = keyof typeof SECRET_FILES;

/**
 * How the children authenticate to Kafka and ClickHouse. It holds no secret, only where the
 * secrets are: every password, token and key reaches a pod as a mounted Secret file.
 */
export interface Connection {
  kafkaTls: boolean;
  kafkaSaslMechanism?: SaslMechanism;
  /** A user name, or the Secret key holding it. */
  kafkaSaslUsername?: string | SecretKeyRef;
  clickhouseUser?: string | SecretKeyRef;
  /** The Secret key that fills each `*_FILE` variable set. */
  files: Partial<Record<SecretFileVariable, SecretKeyRef>>;
}

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
  connection: Connection;
  metricsPort: number;
}

export type Role = 'ingestor' | 'sink';

export const MANAGED_BY = 'wikipulse-operator';

/**
 * A digest of the pod template the operator applied: a Deployment whose digest differs was
 * applied with other settings (an image, a Secret, TLS turned on) and is applied again.
 */
export const TEMPLATE_DIGEST = 'wikipulse.io/template-digest';

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

type Service = 'kafka' | 'clickhouse';

/** The services each app talks to: what decides its connection variables and Secret files. */
const SERVICES: Record<Role, readonly Service[]> = {
  ingestor: ['kafka'],
  sink: ['kafka', 'clickhouse'],
};

function serviceOf(variable: SecretFileVariable): Service {
  return variable.startsWith('KAFKA_') ? 'kafka' : 'clickhouse';
}

/** The `*_FILE` variables a role gets, in SECRET_FILES order, with their Secret keys. */
function secretFiles(role: Role, connection: Connection) {
  return (Object.keys(SECRET_FILES) as SecretFileVariable[]).flatMap((variable) => {
    const ref = connection.files[variable];
    if (!ref || !SERVICES[role].includes(serviceOf(variable))) return [];
    return [{ variable, ref, ...SECRET_FILES[variable] }];
  });
}

function mountPath(volume: string): string {
  return `/var/run/secrets/wikipulse/${volume}`;
}

function userEnv(name: string, user: string | SecretKeyRef): V1EnvVar {
  if (typeof user === 'string') return { name, value: user };
  return { name, valueFrom: { secretKeyRef: { name: user.name, key: user.key } } };
}

function connectionEnv(role: Role, connection: Connection): V1EnvVar[] {
  const services = SERVICES[role];
  const entries: V1EnvVar[] = [];
  if (services.includes('kafka')) {
    if (connection.kafkaTls) entries.push({ name: 'KAFKA_TLS', value: 'true' });
    if (connection.kafkaSaslMechanism) {
      entries.push({ name: 'KAFKA_SASL_MECHANISM', value: connection.kafkaSaslMechanism });
    }
    if (connection.kafkaSaslUsername) {
      entries.push(userEnv('KAFKA_SASL_USERNAME', connection.kafkaSaslUsername));
    }
  }
  if (services.includes('clickhouse') && connection.clickhouseUser) {
    entries.push(userEnv('CLICKHOUSE_USER', connection.clickhouseUser));
  }
  for (const file of secretFiles(role, connection)) {
    entries.push({ name: file.variable, value: `${mountPath(file.volume)}/${file.file}` });
  }
  return entries;
}

function volumeMounts(role: Role, connection: Connection): V1VolumeMount[] {
  return secretFiles(role, connection).map(({ volume }) => ({
    name: volume,
    mountPath: mountPath(volume),
    readOnly: true,
  }));
}

/**
 * One Secret volume per file, readable by the pod's fsGroup only. A mounted directory rather
 * than a subPath, so the kubelet brings a renewed Secret (a rotated token) into running pods.
 */
function volumes(role: Role, connection: Connection): V1Volume[] {
  return secretFiles(role, connection).map(({ volume, file, ref }) => ({
    name: volume,
    secret: { secretName: ref.name, items: [{ key: ref.key, path: file }], defaultMode: 0o440 },
  }));
}

/** `{ [name]: items }`, or nothing for no items: a pod without Secret files carries no empty lists. */
function nonEmpty<K extends string, T>(name: K, items: T[]): Partial<Record<K, T[]>> {
  return items.length > 0 ? ({ [name]: items } as Record<K, T[]>) : {};
}

function roleEnv(role: Role, stream: WikiStream, spec: ResolvedSpec, settings: ChildSettings) {
  const common = {
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    TOPIC: spec.topic,
    METRICS_PORT: String(settings.metricsPort),
  };
  if (role === 'ingestor') {
    return [
      ...env({
        STREAM_URL: spec.url,
        WIKIS: spec.wikis.join(','),
        LANGS: spec.languages.join(','),
        ...common,
        TOPIC_PARTITIONS: String(spec.partitions),
      }),
      ...connectionEnv(role, settings.connection),
    ];
  }
  return [
    ...env({
      ...common,
      GROUP_ID: sinkGroupId(stream),
      CLICKHOUSE_DATABASE: spec.database,
      RETENTION_DAYS: String(spec.retentionDays),
    }),
    clickHouseUrlEnv(settings),
    ...connectionEnv(role, settings.connection),
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
    ...nonEmpty('volumeMounts', volumeMounts(role, settings.connection)),
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
  const template: V1PodTemplateSpec = {
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
        // Owns the mounted Secret files.
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container(role, stream, spec, settings)],
      ...nonEmpty('volumes', volumes(role, settings.connection)),
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: childName(stream, role),
      namespace: stream.metadata.namespace,
      labels: labels(stream, role),
      annotations: { [TEMPLATE_DIGEST]: digest(template) },
      ownerReferences: [ownerReference(stream)],
    },
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(stream, role) },
      // Two ingestors reading the stream at once would write every change twice.
      strategy: role === 'ingestor' ? { type: 'Recreate' } : { type: 'RollingUpdate' },
      template,
    },
  };
}

/** The template as built here, not as the API server returns it (it adds defaults). */
function digest(template: V1PodTemplateSpec): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16);
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

/**
 * True when an existing Deployment is ours and still matches what the stream and the
 * installation's settings ask for.
 */
export function matchesDesired(existing: V1Deployment | undefined, desired: V1Deployment): boolean {
  if (!existing) return false;
  const owner = existing.metadata?.ownerReferences?.find((ref) => ref.controller);
  const wanted = desired.metadata?.ownerReferences?.[0];
  return (
    owner?.uid === wanted?.uid &&
    existing.spec?.replicas === desired.spec?.replicas &&
    existing.metadata?.annotations?.[TEMPLATE_DIGEST] ===
      desired.metadata?.annotations?.[TEMPLATE_DIGEST]
  );
}
