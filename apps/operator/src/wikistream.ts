import type {
  KubernetesObject,
  V1Affinity,
  V1ObjectMeta,
  V1ResourceRequirements,
  V1Toleration,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';

/**
 * The WikiStream custom resource as the operator reads it, written to match
 * `k8s/crds/wikistream.yaml` (the source of truth; `wikistream.test.ts` keeps the two in step).
 * Fields with a schema default are optional here: the API server fills them in, but objects
 * built in code may leave them out.
 */

export const GROUP = 'wikipulse.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'WikiStream';
export const PLURAL = 'wikistreams';

export interface WikiStreamSpec {
  source: {
    url: string;
    wikis?: string[];
    languages?: string[];
  };
  kafka: {
    topic: string;
    partitions?: number;
  };
  clickhouse: {
    database: string;
    retentionDays?: number;
  };
  ingestor?: WorkloadSpec;
  sink?: WorkloadSpec;
  deletionPolicy?: DeletionPolicy;
}

/**
 * How one app's pods run. Every field but `replicas` overrides the operator's setting of the
 * same name (the chart's `ingestor`/`sink` values); labels and annotations are added to them.
 */
export interface WorkloadSpec {
  replicas?: number;
  resources?: V1ResourceRequirements;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  affinity?: V1Affinity;
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  priorityClassName?: string;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
}

/** What deleting the WikiStream does to the topic and database it created. */
export type DeletionPolicy = 'Delete' | 'Retain';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Outside state the operator created for a stream, so the stream's deletion may remove it. */
export interface OwnedState {
  topic?: string;
  database?: string;
}

export interface WikiStreamStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  owned?: OwnedState;
}

export interface WikiStream extends KubernetesObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  /** Custom objects arrive as plain JSON: timestamps are strings despite V1ObjectMeta's `Date`. */
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: WikiStreamSpec;
  status?: WikiStreamStatus;
}

/** The schema defaults, for objects that did not pass through the API server. */
export const DEFAULTS = {
  partitions: 3,
  retentionDays: 30,
  ingestorReplicas: 1,
  sinkReplicas: 1,
  deletionPolicy: 'Delete',
} as const;

/** The spec with every default filled in: what the generators work from. */
export interface ResolvedSpec {
  url: string;
  wikis: readonly string[];
  languages: readonly string[];
  topic: string;
  partitions: number;
  database: string;
  retentionDays: number;
  ingestorReplicas: number;
  sinkReplicas: number;
  ingestor: WorkloadSpec;
  sink: WorkloadSpec;
  deletionPolicy: DeletionPolicy;
}

export function resolveSpec(spec: WikiStreamSpec): ResolvedSpec {
  return {
    url: spec.source.url,
    wikis: spec.source.wikis ?? [],
    languages: spec.source.languages ?? [],
    topic: spec.kafka.topic,
    partitions: spec.kafka.partitions ?? DEFAULTS.partitions,
    database: spec.clickhouse.database,
    retentionDays: spec.clickhouse.retentionDays ?? DEFAULTS.retentionDays,
    ingestorReplicas: spec.ingestor?.replicas ?? DEFAULTS.ingestorReplicas,
    sinkReplicas: spec.sink?.replicas ?? DEFAULTS.sinkReplicas,
    ingestor: spec.ingestor ?? {},
    sink: spec.sink ?? {},
    deletionPolicy: spec.deletionPolicy ?? DEFAULTS.deletionPolicy,
  };
}
