import type {
  KubernetesObject,
  V1Affinity,
  V1Container,
  V1Deployment,
  V1EnvFromSource,
  V1EnvVar,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
  V1ObjectMeta,
  V1OwnerReference,
  V1PodDisruptionBudget,
  V1PodTemplateSpec,
  V1ResourceRequirements,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1Toleration,
  V1TopologySpreadConstraint,
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
  /**
   * The sink's ClickHouse user (the only child that talks to ClickHouse), with its password in
   * `files.CLICKHOUSE_PASSWORD_FILE`: where a user of its own for the sink goes.
   */
  clickhouseUser?: string | SecretKeyRef;
  /** The Secret key that fills each `*_FILE` variable set. */
  files: Partial<Record<SecretFileVariable, SecretKeyRef>>;
}

/**
 * How the operator runs one app's pods when the WikiStream says nothing else: the chart's
 * `ingestor` and `sink` values. A WikiStream's `spec.ingestor`/`spec.sink` replace the scheduling
 * fields and the resources, and add labels and annotations.
 */
export interface PodSettings {
  /** Node's flags, on the command line: NODE_OPTIONS refuses V8's heap tuning flags. */
  nodeFlags: readonly string[];
  logLevel: string;
  resources: V1ResourceRequirements;
  extraEnv: V1EnvVar[];
  extraEnvFrom: V1EnvFromSource[];
  extraVolumes: V1Volume[];
  extraVolumeMounts: V1VolumeMount[];
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  affinity?: V1Affinity;
  topologySpreadConstraints: V1TopologySpreadConstraint[];
  priorityClassName?: string;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  /** A PodDisruptionBudget with this maxUnavailable; none when absent. */
  pdbMaxUnavailable?: number | string;
}

/**
 * Where the pipeline's pods may connect, as NetworkPolicy rules that name each destination
 * (the chart derives them from its Kafka and ClickHouse modes), and who may scrape them.
 */
export interface NetworkPolicySettings {
  /** Peers allowed to reach the metrics and health port. */
  metricsFrom: V1NetworkPolicyPeer[];
  dns: V1NetworkPolicyEgressRule[];
  kafka: V1NetworkPolicyEgressRule[];
  clickhouse: V1NetworkPolicyEgressRule[];
  /** The ingestor's way to EventStreams (HTTPS). */
  eventStreams: V1NetworkPolicyEgressRule[];
}

export interface ServiceMonitorSettings {
  interval: string;
  labels: Record<string, string>;
}

/** What the children need to know beyond the WikiStream itself: the installation's settings. */
export interface ChildSettings {
  /** One image with an entrypoint per app. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: readonly string[];
  kafkaBrokers: readonly string[];
  /**
   * How the sink reaches ClickHouse: a plain URL without credentials, or a Secret key holding
   * the URL (credentials may ride in it), so no password lands in a Deployment.
   */
  clickhouse: { url: string } | { secretName: string; secretKey: string };
  connection: Connection;
  metricsPort: number;
  pods: Record<Role, PodSettings>;
  /** NetworkPolicies for the pipeline's pods; none when absent. */
  networkPolicy?: NetworkPolicySettings;
  /** How a ServiceMonitor scrapes the pipeline, where the cluster serves ServiceMonitors. */
  serviceMonitor: ServiceMonitorSettings;
}

/** What the cluster offers beyond the built-in kinds (API discovery). */
export interface ClusterFeatures {
  serviceMonitors: boolean;
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

/** Labels every child of the stream carries. */
export function ownedBy(stream: WikiStream): Record<string, string> {
  return {
    'app.kubernetes.io/instance': stream.metadata.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** The kinds of child the settings may turn off: the operator deletes those no longer wanted. */
export const OPTIONAL_CHILDREN = [
  'PodDisruptionBudget',
  'NetworkPolicy',
  'ServiceMonitor',
] as const;
export type OptionalChild = (typeof OPTIONAL_CHILDREN)[number];

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

/** The Lease an ingestor's pods elect their leader through, and their ServiceAccount's name. */
export function leaseName(stream: WikiStream): string {
  return childName(stream, 'ingestor');
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

function roleEnv(role: Role, stream: WikiStream, spec: ResolvedSpec, settings: ChildSettings) {
  const common = {
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    TOPIC: spec.topic,
    TOPIC_PARTITIONS: String(spec.partitions),
    METRICS_PORT: String(settings.metricsPort),
    LOG_LEVEL: settings.pods[role].logLevel,
  };
  if (role === 'ingestor') {
    return [
      ...env({
        STREAM_URL: spec.url,
        WIKIS: spec.wikis.join(','),
        LANGS: spec.languages.join(','),
        ...common,
        // One malloc arena for both threads, and buffers of 64 kB and more returned to the
        // system as soon as they are freed: without them glibc keeps 10-15 MB more RSS.
        MALLOC_ARENA_MAX: '1',
        MALLOC_MMAP_THRESHOLD_: '65536',
        LEASE_NAME: leaseName(stream),
      }),
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      ...connectionEnv(role, settings.connection),
    ];
  }
  return [
    ...env({
      ...common,
      GROUP_ID: sinkGroupId(stream),
      CLICKHOUSE_DATABASE: spec.database,
      PARTITIONS_CONSUMED_CONCURRENTLY: String(spec.partitions),
    }),
    clickHouseUrlEnv(settings),
    ...connectionEnv(role, settings.connection),
  ];
}

/** The operator's settings for a role with the stream's own replacing or adding to them. */
function podSettings(role: Role, spec: ResolvedSpec, settings: ChildSettings): PodSettings {
  const base = settings.pods[role];
  const own = spec[role];
  return {
    ...base,
    resources: own.resources ?? base.resources,
    nodeSelector: own.nodeSelector ?? base.nodeSelector,
    tolerations: own.tolerations ?? base.tolerations,
    topologySpreadConstraints: own.topologySpreadConstraints ?? base.topologySpreadConstraints,
    ...((own.affinity ?? base.affinity) ? { affinity: own.affinity ?? base.affinity } : {}),
    ...((own.priorityClassName ?? base.priorityClassName)
      ? { priorityClassName: own.priorityClassName ?? base.priorityClassName }
      : {}),
    podLabels: { ...base.podLabels, ...own.podLabels },
    podAnnotations: { ...base.podAnnotations, ...own.podAnnotations },
  };
}

const OPS_PORT = 'ops';

function container(
  role: Role,
  stream: WikiStream,
  spec: ResolvedSpec,
  settings: ChildSettings,
  pod: PodSettings,
): V1Container {
  const httpGet = (path: string) => ({ path, port: OPS_PORT });
  return {
    name: role,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    command: ['node', ...pod.nodeFlags, `apps/${role}/dist/main.js`],
    env: [...roleEnv(role, stream, spec, settings), ...pod.extraEnv],
    ...nonEmpty('envFrom', pod.extraEnvFrom),
    ports: [{ name: OPS_PORT, containerPort: settings.metricsPort, protocol: 'TCP' }],
    // Start-up connects to Kafka (and ClickHouse) within a deadline: up to a minute.
    startupProbe: { httpGet: httpGet('/healthz'), periodSeconds: 2, failureThreshold: 30 },
    livenessProbe: {
      httpGet: httpGet('/healthz'),
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: httpGet('/readyz'),
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    resources: pod.resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      // The root filesystem is read-only; Node and its libraries may still want a scratch directory.
      { name: 'tmp', mountPath: '/tmp' },
      ...volumeMounts(role, settings.connection),
      ...pod.extraVolumeMounts,
    ],
  };
}

/** The one pod template of the ingestor and the sink. */
export function podTemplate(
  role: Role,
  stream: WikiStream,
  settings: ChildSettings,
): V1PodTemplateSpec {
  const spec = resolveSpec(stream.spec);
  const pod = podSettings(role, spec, settings);
  return {
    metadata: {
      labels: { ...pod.podLabels, ...labels(stream, role) },
      ...(Object.keys(pod.podAnnotations).length > 0 ? { annotations: pod.podAnnotations } : {}),
    },
    spec: {
      // Only the ingestor calls the Kubernetes API: its leader election, on its own Lease.
      ...(role === 'ingestor' ? { serviceAccountName: leaseName(stream) } : {}),
      automountServiceAccountToken: role === 'ingestor',
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      ...nonEmpty(
        'imagePullSecrets',
        settings.imagePullSecrets.map((name) => ({ name })),
      ),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        // Owns the mounted Secret files.
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container(role, stream, spec, settings, pod)],
      volumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        ...volumes(role, settings.connection),
        ...pod.extraVolumes,
      ],
      ...(Object.keys(pod.nodeSelector).length > 0 ? { nodeSelector: pod.nodeSelector } : {}),
      ...nonEmpty('tolerations', pod.tolerations),
      ...(pod.affinity ? { affinity: pod.affinity } : {}),
      ...nonEmpty('topologySpreadConstraints', pod.topologySpreadConstraints),
      ...(pod.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
    },
  };
}

function metadata(stream: WikiStream, role: Role, name = childName(stream, role)): V1ObjectMeta {
  return {
    name,
    namespace: stream.metadata.namespace,
    labels: labels(stream, role),
    ownerReferences: [ownerReference(stream)],
  };
}

function deployment(role: Role, stream: WikiStream, settings: ChildSettings): V1Deployment {
  const spec = resolveSpec(stream.spec);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(stream, role),
    spec: {
      replicas: role === 'ingestor' ? spec.ingestorReplicas : spec.sinkReplicas,
      selector: { matchLabels: selectorLabels(stream, role) },
      // The old leader stops before a new pod starts, so a rollout never waits on a Lease.
      strategy: role === 'ingestor' ? { type: 'Recreate' } : { type: 'RollingUpdate' },
      template: podTemplate(role, stream, settings),
    },
  };
}

/** The Deployments a WikiStream owns, ingestor first. Pure: the same input gives the same objects. */
export function desiredDeployments(stream: WikiStream, settings: ChildSettings): V1Deployment[] {
  return [deployment('ingestor', stream, settings), deployment('sink', stream, settings)];
}

function service(role: Role, stream: WikiStream, settings: ChildSettings): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(stream, role),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(stream, role),
      ports: [
        { name: OPS_PORT, port: settings.metricsPort, targetPort: OPS_PORT, protocol: 'TCP' },
      ],
    },
  };
}

function disruptionBudget(
  role: Role,
  stream: WikiStream,
  maxUnavailable: number | string,
): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(stream, role),
    spec: { maxUnavailable, selector: { matchLabels: selectorLabels(stream, role) } },
  };
}

/** Everything else denied: scrapes in; DNS, Kafka, and EventStreams (ingestor) or ClickHouse (sink) out. */
function networkPolicy(
  role: Role,
  stream: WikiStream,
  settings: ChildSettings,
  policy: NetworkPolicySettings,
): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(stream, role),
    spec: {
      podSelector: { matchLabels: selectorLabels(stream, role) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          ...nonEmpty('from', policy.metricsFrom),
          ports: [{ port: settings.metricsPort, protocol: 'TCP' }],
        },
      ],
      egress: [
        ...policy.dns,
        ...policy.kafka,
        ...(role === 'ingestor' ? policy.eventStreams : policy.clickhouse),
      ],
    },
  };
}

function serviceMonitor(role: Role, stream: WikiStream, settings: ServiceMonitorSettings) {
  const meta = metadata(stream, role);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { ...meta, labels: { ...settings.labels, ...meta.labels } },
    spec: {
      selector: { matchLabels: selectorLabels(stream, role) },
      endpoints: [{ port: OPS_PORT, path: '/metrics', interval: settings.interval }],
    },
  };
}

/**
 * The ingestor's identity: a ServiceAccount whose Role may read and renew its own Lease only
 * (and create it: RBAC cannot narrow create to a name).
 */
function ingestorIdentity(stream: WikiStream): KubernetesObject[] {
  const name = leaseName(stream);
  const meta = metadata(stream, 'ingestor', name);
  const account: V1ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta,
    automountServiceAccountToken: true,
  };
  const role: V1Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta,
    rules: [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [name],
        verbs: ['get', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ],
  };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: stream.metadata.namespace }],
  };
  return [account, role, binding];
}

/**
 * Every object a WikiStream owns, in the order they are applied: the ingestor's identity, the
 * Services, budgets, policies and monitors, and the Deployments last, so their pods start
 * with everything in place. Pure: the same input gives the same objects.
 */
export function desiredChildren(
  stream: WikiStream,
  settings: ChildSettings,
  features: ClusterFeatures,
): KubernetesObject[] {
  const roles: Role[] = ['ingestor', 'sink'];
  const { networkPolicy: policy } = settings;
  return [
    ...ingestorIdentity(stream),
    ...roles.map((role) => service(role, stream, settings)),
    ...roles.flatMap((role) => {
      const max = settings.pods[role].pdbMaxUnavailable;
      return max === undefined ? [] : [disruptionBudget(role, stream, max)];
    }),
    ...(policy ? roles.map((role) => networkPolicy(role, stream, settings, policy)) : []),
    ...(features.serviceMonitors
      ? roles.map((role) => serviceMonitor(role, stream, settings.serviceMonitor))
      : []),
    ...desiredDeployments(stream, settings),
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
