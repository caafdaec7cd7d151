import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@wikipulse/testing';
import { describe, expect, it } from 'vitest';
import {
  API_VERSION,
  DEFAULTS,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
  resolveSpec,
  type WikiStream,
  type WikiStreamSpec,
  type WikiStreamStatus,
  type WorkloadSpec,
} from './wikistream.js';

interface JsonSchema {
  type?: string;
  required?: string[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
}

/** Every field of T, nested objects spelled out: `satisfies` rejects a missing or extra key. */
type Shape<T> = {
  [K in keyof T]-?: K extends 'ingestor' | 'sink'
    ? Record<keyof WorkloadSpec, unknown>
    : NonNullable<T[K]> extends readonly unknown[]
      ? 'leaf'
      : NonNullable<T[K]> extends object
        ? Shape<NonNullable<T[K]>>
        : 'leaf';
};
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/**
 * A pod's settings: Kubernetes types (resources, affinity) the CRD spells out one level deep,
 * with the API server checking the rest when the operator applies them.
 */
const workloadShape = {
  replicas: 'leaf',
  resources: { requests: 'leaf', limits: 'leaf' },
  nodeSelector: 'leaf',
  tolerations: 'leaf',
  affinity: { nodeAffinity: 'leaf', podAffinity: 'leaf', podAntiAffinity: 'leaf' },
  topologySpreadConstraints: 'leaf',
  priorityClassName: 'leaf',
  podLabels: 'leaf',
  podAnnotations: 'leaf',
} as const satisfies Record<keyof WorkloadSpec, unknown>;

const specShape = {
  source: { url: 'leaf', wikis: 'leaf', languages: 'leaf' },
  kafka: { topic: 'leaf', partitions: 'leaf' },
  clickhouse: { database: 'leaf', retentionDays: 'leaf' },
  ingestor: workloadShape,
  sink: workloadShape,
  deletionPolicy: 'leaf',
} as const satisfies Shape<WikiStreamSpec>;
const statusShape = {
  observedGeneration: 'leaf',
  conditions: 'leaf',
  owned: { topic: 'leaf', database: 'leaf' },
} as const satisfies Shape<WikiStreamStatus>;
const requiredSpec: RequiredKeys<WikiStreamSpec>[] = ['clickhouse', 'kafka', 'source'];

function shapeOf(schema: JsonSchema): unknown {
  if (schema.type !== 'object' || !schema.properties) return 'leaf';
  return Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, shapeOf(v)]));
}

async function crd() {
  const text = await readFile(join(repoRoot, 'k8s/crds/wikistream.yaml'), 'utf8');
  return parse(text) as {
    spec: {
      group: string;
      names: { kind: string; plural: string };
      versions: { name: string; schema: { openAPIV3Schema: JsonSchema } }[];
    };
  };
}

describe('the WikiStream types', () => {
  it('name the group, version, kind and plural the CRD declares', async () => {
    const { spec } = await crd();
    expect(spec.group).toBe(GROUP);
    expect(spec.names).toMatchObject({ kind: KIND, plural: PLURAL });
    expect(spec.versions.map((v) => v.name)).toEqual([VERSION]);
  });

  it('have exactly the spec fields of the CRD schema, with the same required ones', async () => {
    const { spec } = await crd();
    const schema = spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
    expect(schema).toBeDefined();
    expect(shapeOf(schema ?? {})).toEqual(specShape);
    expect([...(schema?.required ?? [])].sort()).toEqual([...requiredSpec].sort());
  });

  it('have exactly the status fields of the CRD schema', async () => {
    const { spec } = await crd();
    const schema = spec.versions[0]?.schema.openAPIV3Schema.properties?.status;
    expect(schema).toBeDefined();
    expect(shapeOf(schema ?? {})).toEqual(statusShape);
  });

  it('fill in the same defaults as the API server', async () => {
    const { spec } = await crd();
    const props = spec.versions[0]?.schema.openAPIV3Schema.properties?.spec?.properties ?? {};
    expect({
      partitions: props.kafka?.properties?.partitions?.default,
      retentionDays: props.clickhouse?.properties?.retentionDays?.default,
      ingestorReplicas: props.ingestor?.properties?.replicas?.default,
      sinkReplicas: props.sink?.properties?.replicas?.default,
      deletionPolicy: props.deletionPolicy?.default,
    }).toEqual(DEFAULTS);
  });

  it('read the example manifest', async () => {
    const text = await readFile(join(repoRoot, 'k8s/examples/wikistream.yaml'), 'utf8');
    const example = parse(text) as WikiStream;
    expect(example.apiVersion).toBe(API_VERSION);
    expect(resolveSpec(example.spec)).toMatchObject({
      languages: ['de', 'fr'],
      sinkReplicas: 2,
      partitions: 3,
    });
  });
});
