import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PolicyV1Api,
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
import { KafkaBus } from '@wikipulse/kafka';
import { changesRetentionDays, databaseExists, dropDatabase, toChangeRow } from '@wikipulse/store';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { ChildSettings, NetworkPolicySettings, PodSettings } from './children.js';
import { FINALIZER } from './cleanup.js';
import { startOperator, type Operator } from './operator.js';
import type { Topics } from './reconciler.js';
import { clickHouseSchema } from './schema.js';
import { GROUP, PLURAL, VERSION, type WikiStream, type WikiStreamSpec } from './wikistream.js';

const wait = { timeout: 60_000, interval: 200 };

let admin: KubeConfig;
let namespace: string;
let operator: Operator;
let clickhouse: TestClickHouse;
let bus: KafkaBus;
let custom: CustomObjectsApi;
let apps: AppsV1Api;
let asOperator: KubeConfig;

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

const pod: PodSettings = {
  nodeFlags: ['--max-old-space-size=192'],
  logLevel: 'info',
  resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
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

function startWith(
  topics: Topics,
  pods: ChildSettings['pods'] = { ingestor: pod, sink: pod },
  networkPolicies = true,
) {
  return startOperator({
    kubeConfig: asOperator,
    namespace,
    instance: 'operator-test',
    topics,
    schema: clickHouseSchema(clickhouse.client),
    settings: {
      image: 'wikipulse:test',
      imagePullPolicy: 'Never',
      imagePullSecrets: [],
      kafkaBrokers: ['kafka:9092'],
      clickhouse: { secretName: 'clickhouse', secretKey: 'url' },
      // The pods of a secured installation: the API server stores their Secret volumes, and
      // kwok's node runs no container, so the Secrets need not exist.
      connection: {
        kafkaTls: true,
        kafkaSaslMechanism: 'scram-sha-512',
        kafkaSaslUsername: 'wikipulse-apps',
        clickhouseUser: { name: 'clickhouse-credentials', key: 'user' },
        files: {
          KAFKA_TLS_CA_FILE: { name: 'kafka-cluster-ca-cert', key: 'ca.crt' },
          KAFKA_SASL_PASSWORD_FILE: { name: 'wikipulse-apps', key: 'password' },
          CLICKHOUSE_PASSWORD_FILE: { name: 'clickhouse-credentials', key: 'password' },
        },
      },
      metricsPort: 9464,
      pods,
      ...(networkPolicies ? { networkPolicy } : {}),
      serviceMonitor: { interval: '30s', labels: {} },
    },
    log: createLogger({ name: 'operator', level: 'silent' }),
  });
}

const networkPolicy: NetworkPolicySettings = {
  metricsFrom: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
  dns: [
    {
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
          },
        },
      ],
      ports: [{ port: 53, protocol: 'UDP' }],
    },
  ],
  kafka: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 9092, protocol: 'TCP' }] }],
  clickhouse: [
    { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 8123, protocol: 'TCP' }] },
  ],
  eventStreams: [{ ports: [{ port: 443, protocol: 'TCP' }] }],
};

async function createStream(name: string, spec: WikiStreamSpec): Promise<WikiStream> {
  return (await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'WikiStream', metadata: { name }, spec },
  })) as WikiStream;
}

async function deleteStream(name: string): Promise<void> {
  await custom.deleteNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  });
}

async function waitUntilGone(name: string): Promise<void> {
  await vi.waitFor(() => expect(readStream(name)).rejects.toMatchObject({ code: 404 }), wait);
}

async function topicExists(topic: string): Promise<boolean> {
  return (await bus.listTopics()).includes(topic);
}

async function eventReasons(uid: string): Promise<string[]> {
  const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.uid=${uid}`,
  });
  return events.items.map((e) => e.reason ?? '');
}

const source = { url: 'https://stream.example.test/v2/stream/recentchange' };

async function databaseComment(database: string): Promise<string | undefined> {
  const result = await clickhouse.client.query({
    query: 'SELECT comment FROM system.databases WHERE name = {db:String}',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  return (await result.json<{ comment: string }>())[0]?.comment;
}

/** One change per age, `days` before now, as the sink would store it. */
async function insertChangesDaysAgo(database: string, ages: readonly number[]): Promise<void> {
  const values = ages.map((days, i) => {
    const host = 'en.wikipedia.org';
    return toChangeRow({
      $schema: '/mediawiki/recentchange/1.0.0',
      meta: {
        id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
        dt: new Date(Date.now() - days * 86_400_000).toISOString(),
        stream: 'mediawiki.recentchange',
        domain: host,
      },
      type: 'edit',
      wiki: 'enwiki',
      server_name: host,
      title: `Page ${i}`,
      bot: false,
    });
  });
  await clickhouse.client.insert({ table: `${database}.changes`, values, format: 'JSONEachRow' });
}

async function storedChanges(database: string): Promise<number> {
  const result = await clickhouse.client.query({
    query: `SELECT count() AS n FROM ${database}.changes FINAL`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: number }>())[0]?.n);
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
  asOperator = await serviceAccountKubeConfig(admin, namespace, 'wikipulse-operator');

  clickhouse = await openTestClickHouse();
  bus = testBus('wikipulse-operator-test');
  operator = await startWith(bus);
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
    expect(stream.metadata.finalizers).toEqual([FINALIZER]);
    expect(stream.status?.owned).toEqual({ topic, database });
    // kwok's fake node reports the scheduled pods ready; the operator follows its Deployments.
    await vi.waitFor(async () => {
      const s = await readStream(name);
      expect(s.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
        status: 'True',
        reason: 'DeploymentsAvailable',
      });
    }, wait);

    // Applying an unchanged child is a no-op: the status updates that bring the stream back to
    // the queue do not make the operator write its children again and again.
    const versions = async () =>
      Promise.all(
        ['ingestor', 'sink'].map(
          async (role) =>
            (await apps.readNamespacedDeployment({ namespace, name: `${name}-${role}` })).metadata
              ?.resourceVersion,
        ),
      );
    const settled = await versions();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await versions()).toEqual(settled);

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
    const sink = (await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` })).spec
      ?.template.spec;
    expect(sink?.containers[0]?.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      expect.objectContaining({ name: 'kafka-tls-ca', readOnly: true }),
      expect.objectContaining({ name: 'kafka-sasl-password', readOnly: true }),
      expect.objectContaining({ name: 'clickhouse-password', readOnly: true }),
    ]);
    expect(sink?.volumes?.map((v) => [v.secret?.secretName, v.secret?.defaultMode])).toEqual([
      [undefined, undefined],
      ['kafka-cluster-ca-cert', 0o440],
      ['wikipulse-apps', 0o440],
      ['clickhouse-credentials', 0o440],
    ]);

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

  it('puts back a Service and a PodDisruptionBudget someone deleted', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const policy = admin.makeApiClient(PolicyV1Api);
    const service = await core.readNamespacedService({ namespace, name: `${name}-sink` });
    const budget = await policy.readNamespacedPodDisruptionBudget({
      namespace,
      name: `${name}-ingestor`,
    });
    await core.deleteNamespacedService({ namespace, name: `${name}-sink` });
    await policy.deleteNamespacedPodDisruptionBudget({ namespace, name: `${name}-ingestor` });
    await vi.waitFor(async () => {
      const again = await core.readNamespacedService({ namespace, name: `${name}-sink` });
      expect(again.metadata?.uid).not.toBe(service.metadata?.uid);
      const budgetAgain = await policy.readNamespacedPodDisruptionBudget({
        namespace,
        name: `${name}-ingestor`,
      });
      expect(budgetAgain.metadata?.uid).not.toBe(budget.metadata?.uid);
    }, wait);
  });

  it("selects the pipeline's pods with its NetworkPolicies, and gives the ingestor its Lease rights", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const networking = admin.makeApiClient(NetworkingV1Api);
    for (const role of ['ingestor', 'sink']) {
      const policy = await networking.readNamespacedNetworkPolicy({
        namespace,
        name: `${name}-${role}`,
      });
      const selector = Object.entries(policy.spec?.podSelector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await vi.waitFor(async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
        expect(list.items.length).toBeGreaterThan(0);
        return list.items;
      }, wait);
      for (const p of pods) expect(p.metadata?.name).toMatch(new RegExp(`^${name}-${role}-`));
      expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    }
    const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${name}-ingestor`,
          resourceAttributes: {
            namespace,
            group: 'coordination.k8s.io',
            resource: 'leases',
            verb: 'update',
            name: `${name}-ingestor`,
          },
        },
      },
    });
    expect(review.status?.allowed).toBe(true);
    const other = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${name}-ingestor`,
          resourceAttributes: {
            namespace,
            group: 'coordination.k8s.io',
            resource: 'leases',
            verb: 'update',
            name: 'someone-else',
          },
        },
      },
    });
    expect(other.status?.allowed).toBe(false);
  });

  it("rolls the pipeline's pods when the operator restarts with other settings, and sets back a hand edit", async () => {
    const before = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
    await operator.stop();
    operator = await startWith(bus, {
      ingestor: pod,
      sink: { ...pod, nodeFlags: ['--max-old-space-size=256'] },
    });
    const rolled = await vi.waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
      expect(d.spec?.template.spec?.containers[0]?.command).toContain('--max-old-space-size=256');
      return d;
    }, wait);
    expect(rolled.metadata?.generation).toBeGreaterThan(before.metadata?.generation ?? 0);
    // kwok replaces the pods: the new template's pods become available.
    await vi.waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
      expect(d.status?.updatedReplicas).toBe(2);
      expect(d.status?.availableReplicas).toBe(2);
    }, wait);

    await apps.patchNamespacedDeployment(
      {
        namespace,
        name: `${name}-sink`,
        body: {
          spec: {
            template: { spec: { priorityClassName: null, terminationGracePeriodSeconds: 5 } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: `${name}-sink` });
      expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBe(30);
    }, wait);
  });

  it('makes ServiceMonitors once the cluster serves them, and deletes what its settings no longer ask for', async () => {
    // A stand-in for the Prometheus Operator's CRD: discovery is what the operator looks at.
    await applyYaml(
      admin,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
`,
    );
    const monitors = () =>
      custom.listNamespacedCustomObject({
        group: 'monitoring.coreos.com',
        version: 'v1',
        plural: 'servicemonitors',
        namespace,
      }) as Promise<{ items: { metadata: { name: string } }[] }>;
    await vi.waitFor(() => expect(monitors()).resolves.toBeDefined(), wait);

    await operator.stop();
    const withoutBudget: PodSettings = { ...pod };
    delete withoutBudget.pdbMaxUnavailable;
    operator = await startWith(bus, { ingestor: withoutBudget, sink: pod }, false);
    await vi.waitFor(async () => {
      expect((await monitors()).items.map((m) => m.metadata.name).sort()).toEqual([
        `${name}-ingestor`,
        `${name}-sink`,
      ]);
    }, wait);
    const networking = admin.makeApiClient(NetworkingV1Api);
    const policy = admin.makeApiClient(PolicyV1Api);
    await vi.waitFor(async () => {
      const policies = await networking.listNamespacedNetworkPolicy({ namespace });
      expect(policies.items.map((p) => p.metadata?.name)).toEqual([]);
      const budgets = await policy.listNamespacedPodDisruptionBudget({ namespace });
      expect(budgets.items.map((b) => b.metadata?.name)).toEqual([`${name}-sink`]);
    }, wait);

    await operator.stop();
    operator = await startWith(bus);
  });

  it('accepts the example manifest, pod settings included (a dry run)', async () => {
    const example = parse(
      await readFile(join(repoRoot, 'k8s/examples/wikistream.yaml'), 'utf8'),
    ) as WikiStream;
    const accepted = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      // The test's own stream already has the example's name.
      body: { ...example, metadata: { name: 'example' } },
      dryRun: 'All',
    })) as WikiStream;
    expect(accepted.spec.sink?.resources?.limits).toEqual({ memory: '384Mi' });
    expect(accepted.spec.ingestor?.replicas).toBe(2);
  });

  it('refuses a third ingestor, a quantity that is not one and a selector label', async () => {
    for (const spec of [
      { ingestor: { replicas: 3 } },
      { sink: { resources: { limits: { memory: 'lots' } } } },
      { sink: { podLabels: { 'app.kubernetes.io/name': 'other' } } },
    ]) {
      await expect(
        custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'WikiStream',
            metadata: { name: 'refused' },
            spec: { source, kafka: { topic }, clickhouse: { database }, ...spec },
          },
          dryRun: 'All',
        }),
      ).rejects.toMatchObject({ code: 422 });
    }
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

  it('refuses to change the topic or the database of a stream', async () => {
    for (const spec of [
      { kafka: { topic: `${topic}.other` } },
      { clickhouse: { database: 'other' } },
    ]) {
      await expect(
        custom.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { spec } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      ).rejects.toMatchObject({ code: 422 });
    }
  });

  it('deleting a stream (deletionPolicy Delete by default) deletes its topic and database, then the stream', async () => {
    const { metadata } = await readStream(name);
    await deleteStream(name);
    await waitUntilGone(name);
    // The broker removes a deleted topic from its metadata asynchronously.
    await vi.waitFor(async () => expect(await topicExists(topic)).toBe(false), wait);
    expect(await databaseExists(clickhouse.client, database)).toBe(false);
    expect(await eventReasons(metadata.uid)).toEqual(
      expect.arrayContaining(['StoppingPipeline', 'CleanedUp']),
    );
  });

  it('deleting a stream with deletionPolicy Retain keeps its topic and database', async () => {
    const keptTopic = uniqueName('wikipulse.op.kept');
    const keptDatabase = uniqueName('wikipulse_op_kept');
    const created = await createStream('kept', {
      source,
      kafka: { topic: keptTopic, partitions: 1 },
      clickhouse: { database: keptDatabase },
      deletionPolicy: 'Retain',
    });
    await vi.waitFor(
      async () => expect((await readStream('kept')).status?.owned?.database).toBe(keptDatabase),
      wait,
    );
    await deleteStream('kept');
    await waitUntilGone('kept');
    expect(await topicExists(keptTopic)).toBe(true);
    expect(await databaseExists(clickhouse.client, keptDatabase)).toBe(true);
    expect(await eventReasons(created.metadata.uid)).toContain('Retained');
    await bus.deleteTopics([keptTopic]);
    await dropDatabase(clickhouse.client, keptDatabase);
  });

  it("refuses a stream naming another stream's database, leaving its retention alone; hands it over when the owner goes", async () => {
    const shared = uniqueName('wikipulse_op_shared');
    const topics = { a: uniqueName('wikipulse.op.a'), b: uniqueName('wikipulse.op.b') };
    const a = await createStream('shared-a', {
      source,
      kafka: { topic: topics.a, partitions: 1 },
      clickhouse: { database: shared, retentionDays: 30 },
    });
    await vi.waitFor(
      async () => expect((await readStream('shared-a')).status?.owned?.database).toBe(shared),
      wait,
    );
    expect(await databaseComment(shared)).toBe(
      `wikipulse owner=${namespace}/shared-a topic=${topics.a}`,
    );
    await insertChangesDaysAgo(shared, [2, 5, 10, 20]);
    expect(await storedChanges(shared)).toBe(4);

    await createStream('shared-b', {
      source,
      kafka: { topic: topics.b, partitions: 1 },
      clickhouse: { database: shared, retentionDays: 3 },
    });
    const refused = await vi.waitFor(async () => {
      const condition = ready(await readStream('shared-b'));
      expect(condition).toMatchObject({ status: 'False', reason: 'OwnedByAnother' });
      return condition;
    }, wait);
    expect(refused?.message).toBe(
      `ClickHouse database ${shared}: database ${shared} is owned by ${namespace}/shared-a, not ${namespace}/shared-b; it is left unchanged`,
    );
    expect((await readStream('shared-b')).status?.owned).toBeUndefined();
    expect(await topicExists(topics.b)).toBe(false);
    await clickhouse.client.command({ query: `OPTIMIZE TABLE ${shared}.changes FINAL` });
    expect(await storedChanges(shared)).toBe(4);
    expect(await changesRetentionDays(clickhouse.client, shared)).toBe(30);
    expect(await eventReasons(a.metadata.uid)).not.toContain('OwnedByAnother');

    // The owner deleted while another stream names its database: the data is handed over.
    await deleteStream('shared-a');
    await waitUntilGone('shared-a');
    expect(await databaseExists(clickhouse.client, shared)).toBe(true);
    await vi.waitFor(
      async () => expect(ready(await readStream('shared-b'))).toMatchObject({ status: 'True' }),
      wait,
    );
    expect(await databaseComment(shared)).toBe(
      `wikipulse owner=${namespace}/shared-b topic=${topics.b}`,
    );
    expect((await readStream('shared-b')).status?.owned).toEqual({
      topic: topics.b,
      database: shared,
    });
    expect(await changesRetentionDays(clickhouse.client, shared)).toBe(3);

    await deleteStream('shared-b');
    await waitUntilGone('shared-b');
    expect(await databaseExists(clickhouse.client, shared)).toBe(false);
    await vi.waitFor(async () => {
      expect(await topicExists(topics.a)).toBe(false);
      expect(await topicExists(topics.b)).toBe(false);
    }, wait);
  });

  it('holds a deleted stream while the operator is away or Kafka is unreachable, and says why', async () => {
    const names = ['stuck', 'given-up'];
    const outside = Object.fromEntries(
      names.map((n) => [
        n,
        { topic: uniqueName(`wikipulse.op.${n}`), database: uniqueName('wikipulse_op_held') },
      ]),
    );
    const uids: Record<string, string> = {};
    for (const n of names) {
      const created = await createStream(n, {
        source,
        kafka: { topic: outside[n]!.topic, partitions: 1 },
        clickhouse: { database: outside[n]!.database },
      });
      uids[n] = created.metadata.uid;
    }
    await vi.waitFor(async () => {
      for (const n of names) expect((await readStream(n)).status?.owned).toEqual(outside[n]);
    }, wait);

    await operator.stop();
    for (const n of names) {
      await deleteStream(n);
      const held = await readStream(n);
      expect(held.metadata.deletionTimestamp).toBeDefined();
      expect(held.metadata.finalizers).toEqual([FINALIZER]);
    }
    // Giving up on a cleanup: a deleting stream's policy can still change.
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name: 'given-up',
        body: { spec: { deletionPolicy: 'Retain' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    // Nothing listens on the discard port: every Kafka call fails (after kafkajs' own retries).
    operator = await startWith(
      new KafkaBus({ brokers: ['127.0.0.1:9'], clientId: 'wikipulse-operator-test' }),
    );
    // Retain needs no Kafka: that stream goes, its data left in place.
    await waitUntilGone('given-up');
    expect(await topicExists(outside['given-up']!.topic)).toBe(true);
    expect(await databaseExists(clickhouse.client, outside['given-up']!.database)).toBe(true);

    const cleanedUp = await vi.waitFor(async () => {
      const condition = (await readStream('stuck')).status?.conditions?.find(
        (c) => c.type === 'CleanedUp',
      );
      expect(condition).toMatchObject({ status: 'False', reason: 'GroupDeleteFailed' });
      return condition;
    }, wait);
    expect(cleanedUp?.message).toMatch(
      /^consumer group wikipulse-sink\..*Kafka refused the connection/,
    );
    const stuck = await readStream('stuck');
    expect(ready(stuck)).toMatchObject({ status: 'False', reason: 'Deleting' });
    expect(stuck.metadata.finalizers).toEqual([FINALIZER]);
    expect(await eventReasons(uids['stuck']!)).toContain('GroupDeleteFailed');
    expect(await topicExists(outside['stuck']!.topic)).toBe(true);
    // The pipeline was stopped before the first Kafka call.
    for (const role of ['ingestor', 'sink']) {
      const deployment = await apps.readNamespacedDeployment({ namespace, name: `stuck-${role}` });
      expect(deployment.spec?.replicas).toBe(0);
    }

    // Kafka back: the cleanup completes.
    await operator.stop();
    operator = await startWith(bus);
    await waitUntilGone('stuck');
    await vi.waitFor(
      async () => expect(await topicExists(outside['stuck']!.topic)).toBe(false),
      wait,
    );
    expect(await databaseExists(clickhouse.client, outside['stuck']!.database)).toBe(false);
    await bus.deleteTopics([outside['given-up']!.topic]);
    await dropDatabase(clickhouse.client, outside['given-up']!.database);
  });
});
