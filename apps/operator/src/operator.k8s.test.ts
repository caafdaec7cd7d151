import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { createLogger } from '@wikipulse/logger';
import { repoRoot } from '@wikipulse/testing';
import {
  adminKubeConfig,
  applyYaml,
  createTestNamespace,
  serviceAccountKubeConfig,
} from '@wikipulse/testing/k8s';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import type { KafkaBus } from '@wikipulse/kafka';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOperator, type Operator } from './operator.js';
import { clickHouseSchema } from './schema.js';
import { GROUP, PLURAL, VERSION, type WikiStream } from './wikistream.js';

const wait = { timeout: 60_000, interval: 200 };

let admin: KubeConfig;
let namespace: string;
let operator: Operator;
let clickhouse: TestClickHouse;
let bus: KafkaBus;
let custom: CustomObjectsApi;
let apps: AppsV1Api;

async function readStream(name: string): Promise<WikiStream> {
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  })) as WikiStream;
}

function ready(stream: WikiStream) {
  return stream.status?.conditions?.find((c) => c.type === 'Ready');
}

beforeAll(async () => {
  admin = adminKubeConfig();
  custom = admin.makeApiClient(CustomObjectsApi);
  apps = admin.makeApiClient(AppsV1Api);
  await applyYaml(admin, await readFile(join(repoRoot, 'k8s/crds/wikistream.yaml'), 'utf8'));
  // Pod Security admission rejects any pod of the generated Deployments that is not restricted.
  namespace = await createTestNamespace(admin, 'operator', {
    'pod-security.kubernetes.io/enforce': 'restricted',
  });
  await vi.waitFor(
    () =>
      custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
      }),
    wait,
  );
  // The operator runs with exactly the RBAC the chart ships, not as an admin.
  const rbac = await readFile(join(repoRoot, 'k8s/rbac/operator.yaml'), 'utf8');
  await applyYaml(admin, rbac.replaceAll('namespace: wikipulse', `namespace: ${namespace}`));
  const asOperator = await serviceAccountKubeConfig(admin, namespace, 'wikipulse-operator');

  clickhouse = await openTestClickHouse();
  bus = testBus('wikipulse-operator-test');
  operator = await startOperator({
    kubeConfig: asOperator,
    namespace,
    instance: 'operator-test',
    topics: bus,
    schema: clickHouseSchema(clickhouse.client),
    settings: {
      image: 'wikipulse:test',
      imagePullPolicy: 'Never',
      kafkaBrokers: ['kafka:9092'],
      clickhouse: { secretName: 'clickhouse', secretKey: 'url' },
      metricsPort: 9464,
    },
    log: createLogger({ name: 'operator', level: 'silent' }),
  });
  expect(operator.watching).toBe(true);
});

afterAll(async () => {
  await operator.stop();
  await clickhouse.close();
  await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
});

describe('the operator against a real API server, with its own RBAC', () => {
  const name = 'de-fr';
  const topic = uniqueName('wikipulse.op');
  const database = uniqueName('wikipulse_op');

  it('makes a new WikiStream Ready and Available: topic, schema, owned Deployments, an Event', async () => {
    const created = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'WikiStream',
        metadata: { name },
        spec: {
          source: {
            url: 'https://stream.example.test/v2/stream/recentchange',
            languages: ['de', 'fr'],
          },
          kafka: { topic, partitions: 2 },
          clickhouse: { database, retentionDays: 7 },
        },
      },
    })) as WikiStream;

    const stream = await vi.waitFor(async () => {
      const s = await readStream(name);
      expect(ready(s)).toMatchObject({ status: 'True', reason: 'Reconciled' });
      return s;
    }, wait);
    expect(stream.status?.observedGeneration).toBe(created.metadata.generation);
    // kwok's fake node reports the scheduled pods ready; the operator follows its Deployments.
    await vi.waitFor(async () => {
      const s = await readStream(name);
      expect(s.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
        status: 'True',
        reason: 'DeploymentsAvailable',
      });
    }, wait);

    for (const role of ['ingestor', 'sink']) {
      const deployment = await apps.readNamespacedDeployment({
        namespace,
        name: `${name}-${role}`,
      });
      expect(deployment.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'WikiStream',
          name,
          uid: created.metadata.uid,
          controller: true,
        }),
      ]);
      expect(deployment.spec?.template.spec?.securityContext?.runAsNonRoot).toBe(true);
    }
    const ingestor = await apps.readNamespacedDeployment({ namespace, name: `${name}-ingestor` });
    const env = Object.fromEntries(
      (ingestor.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ LANGS: 'de,fr', TOPIC: topic, TOPIC_PARTITIONS: '2' });

    expect((await bus.endOffsets(topic)).size).toBe(2);
    const tables = await clickhouse.client.query({
      query: 'SELECT name FROM system.tables WHERE database = {db:String}',
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    expect((await tables.json<{ name: string }>()).map((t) => t.name)).toContain('changes');

    const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.uid=${created.metadata.uid}`,
    });
    expect(events.items.map((e) => e.reason)).toContain('Reconciled');
  });

  it('reconciles an update, and observedGeneration follows the generation', async () => {
    const patched = (await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
        body: { spec: { sink: { replicas: 2 } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as WikiStream;
    expect(patched.metadata.generation).toBe(2);

    await vi.waitFor(async () => {
      const s = await readStream(name);
      expect(s.status?.observedGeneration).toBe(2);
      expect(ready(s)).toMatchObject({ status: 'True', observedGeneration: 2 });
    }, wait);
    const sink = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
    expect(sink.spec?.replicas).toBe(2);
  });

  it('puts back a Deployment someone deleted', async () => {
    const before = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
    await apps.deleteNamespacedDeployment({ namespace, name: `${name}-sink` });
    await vi.waitFor(async () => {
      const after = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
      expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
      expect(after.spec?.replicas).toBe(2);
    }, wait);
  });

  it('rejects a spec the CRD schema forbids', async () => {
    await expect(
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'WikiStream',
          metadata: { name: 'too-many-sinks' },
          spec: {
            source: { url: 'https://stream.example.test/v2/stream/recentchange' },
            kafka: { topic, partitions: 2 },
            clickhouse: { database },
            sink: { replicas: 3 },
          },
        },
      }),
    ).rejects.toMatchObject({ code: 422 });
  });
});
