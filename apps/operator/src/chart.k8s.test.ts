import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { createLogger } from '@wikipulse/logger';
import { repoRoot } from '@wikipulse/testing';
import {
  adminKubeConfig,
  createTestNamespace,
  serviceAccountKubeConfig,
} from '@wikipulse/testing/k8s';
import {
  openTestClickHouse,
  testBus,
  uniqueName,
  type TestClickHouse,
} from '@wikipulse/testing/vitest';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { desiredDeployments } from './children.js';
import { childSettings, loadEnv, type OperatorEnv } from './env.js';
import { startOperator, type Operator } from './operator.js';
import { clickHouseSchema } from './schema.js';
import { GROUP, PLURAL, VERSION, type WikiStream } from './wikistream.js';

const run = promisify(execFile);
const helm = join(repoRoot, '.cache/k8s/bin/helm');

const wait = { timeout: 60_000, interval: 200 };

let admin: KubeConfig;
let namespace: string;
let dir: string;
let clickhouse: TestClickHouse | undefined;
let operator: Operator | undefined;
const topic = uniqueName('wikipulse.chart');

/**
 * The environment the chart gives its operator Deployment for the pods it creates (APP_*, the
 * brokers, the ClickHouse URL); its own connection's files exist only in its pod.
 */
async function operatorEnv(name: string): Promise<OperatorEnv> {
  const deployment = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({
    namespace,
    name,
  });
  const values = Object.fromEntries(
    (deployment.spec?.template.spec?.containers[0]?.env ?? []).flatMap((e) =>
      e.value !== undefined && /^(APP_|KAFKA_BROKERS$|CLICKHOUSE_URL$)/.test(e.name)
        ? [[e.name, e.value]]
        : [],
    ),
  );
  return loadEnv({ ...values, WATCH_NAMESPACE: namespace });
}

/**
 * Runs the operator here, as the chart's ServiceAccount, with the settings of the chart's
 * operator Deployment (kwok's node runs no container). Its own Kafka and ClickHouse are the
 * test services.
 */
async function runOperator(env: OperatorEnv, clickhouseClient: TestClickHouse): Promise<Operator> {
  return startOperator({
    kubeConfig: await serviceAccountKubeConfig(admin, namespace, 'wikipulse-operator'),
    namespace,
    instance: 'chart-test',
    topics: testBus('wikipulse-chart-test'),
    schema: clickHouseSchema(clickhouseClient.client),
    settings: childSettings(env),
    log: createLogger({ name: 'operator', level: 'silent' }),
  });
}

function helmRun(...args: string[]) {
  return run(helm, [
    ...args,
    '--kubeconfig',
    join(dir, 'admin.kubeconfig'),
    '--namespace',
    namespace,
  ]);
}

beforeAll(async () => {
  admin = adminKubeConfig();
  namespace = await createTestNamespace(admin, 'chart', {
    'pod-security.kubernetes.io/enforce': 'restricted',
  });
  dir = await mkdtemp(join(tmpdir(), 'wikipulse-helm-'));
  await writeFile(join(dir, 'admin.kubeconfig'), inject('k8sAdminKubeconfig'), { mode: 0o600 });
});

afterAll(async () => {
  await operator?.stop();
  await clickhouse?.close();
  // The default pipeline's deletionPolicy is Retain: the topic it made stays behind.
  await testBus('wikipulse-chart-test').deleteTopics([topic]);
  await rm(dir, { recursive: true, force: true });
});

describe('helm install of charts/wikipulse into a real API server', () => {
  it('installs the operator and a default WikiStream that the operator makes Ready and Available', async () => {
    const database = uniqueName('wikipulse_chart');
    const { stdout } = await helmRun(
      'install',
      'wikipulse',
      join(repoRoot, 'charts/wikipulse'),
      '--set',
      'image.tag=0.1.0',
      '--set',
      `topics.events=${topic}`,
      '--set',
      `clickhouse.database=${database}`,
    );
    expect(stdout).toContain('STATUS: deployed');

    const apps = admin.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({
      namespace,
      name: 'wikipulse-operator',
    });
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe('wikipulse-operator');
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(
      'ghcr.io/wikipulse/wikipulse:0.1.0',
    );
    const role = await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRole({ namespace, name: 'wikipulse-operator' });
    // It deletes only what its settings may turn off; the garbage collector deletes the rest.
    expect(
      role.rules?.filter((r) => r.verbs.includes('delete')).flatMap((r) => r.resources),
    ).toEqual(['poddisruptionbudgets', 'networkpolicies', 'servicemonitors']);
    // The chart renders no ingestor or sink of its own: the operator does.
    await expect(
      apps.readNamespacedDeployment({ namespace, name: 'wikipulse-sink' }),
    ).rejects.toMatchObject({ code: 404 });

    // kwok's node runs no container: Available proves the pod was admitted and scheduled.
    await vi.waitFor(async () => {
      const current = await apps.readNamespacedDeployment({
        namespace,
        name: 'wikipulse-operator',
      });
      expect(current.status?.availableReplicas).toBe(1);
    }, wait);

    clickhouse = await openTestClickHouse();
    operator = await runOperator(await operatorEnv('wikipulse-operator'), clickhouse);
    const custom = admin.makeApiClient(CustomObjectsApi);
    const stream = await vi.waitFor(async () => {
      const s = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name: 'wikipulse',
      })) as WikiStream;
      expect(s.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(s.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
      return s;
    }, wait);
    expect(stream.spec).toMatchObject({
      kafka: { topic, partitions: 6 },
      clickhouse: { database },
      sink: { replicas: 2 },
      deletionPolicy: 'Retain',
    });
    const sink = await apps.readNamespacedDeployment({ namespace, name: 'wikipulse-sink' });
    expect(sink.status?.availableReplicas).toBe(2);
    const container = sink.spec?.template.spec?.containers[0];
    expect(container?.command).toEqual([
      'node',
      '--max-old-space-size=192',
      '--max-semi-space-size=32',
      'apps/sink/dist/main.js',
    ]);
    expect(container?.startupProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.resources?.limits?.memory).toBe('384Mi');
    expect(container?.volumeMounts?.[0]).toEqual({ name: 'tmp', mountPath: '/tmp' });
    const ingestor = await apps.readNamespacedDeployment({
      namespace,
      name: 'wikipulse-ingestor',
    });
    expect(ingestor.status?.availableReplicas).toBe(1);
    expect(ingestor.spec?.template.spec?.containers[0]?.env).toEqual(
      expect.arrayContaining([
        { name: 'LEASE_NAME', value: 'wikipulse-ingestor' },
        { name: 'MALLOC_ARENA_MAX', value: '1' },
      ]),
    );

    // The pipeline's pods are selected by the operator's NetworkPolicies, built from the chart's rules.
    const policy = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ namespace, name: 'wikipulse-sink' });
    expect(policy.spec?.podSelector?.matchLabels).toEqual(sink.spec?.selector.matchLabels);
    expect(JSON.stringify(policy.spec?.egress)).toContain(
      '"app.kubernetes.io/component":"clickhouse"',
    );

    const { stdout: list } = await helmRun('list', '--output', 'json');
    expect(JSON.parse(list)).toEqual([
      expect.objectContaining({ name: 'wikipulse', status: 'deployed' }),
    ]);
  });

  it("rolls the pipeline's pods when the operator's settings change with a helm upgrade", async () => {
    const apps = admin.makeApiClient(AppsV1Api);
    const before = await apps.readNamespacedDeployment({ namespace, name: 'wikipulse-sink' });
    await helmRun(
      'upgrade',
      'wikipulse',
      join(repoRoot, 'charts/wikipulse'),
      '--reuse-values',
      '--set',
      'sink.nodeFlags[0]=--max-old-space-size=256',
      '--set',
      'sink.podLabels.team=wiki',
    );
    // The upgraded operator pod starts with the new settings: here, the operator restarts with them.
    await operator?.stop();
    operator = await runOperator(await operatorEnv('wikipulse-operator'), clickhouse!);
    const after = await vi.waitFor(async () => {
      const d: V1Deployment = await apps.readNamespacedDeployment({
        namespace,
        name: 'wikipulse-sink',
      });
      expect(d.spec?.template.spec?.containers[0]?.command).toContain('--max-old-space-size=256');
      return d;
    }, wait);
    expect(after.spec?.template.metadata?.labels?.team).toBe('wiki');
    expect(after.metadata?.generation).toBeGreaterThan(before.metadata?.generation ?? 0);
    await vi.waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: 'wikipulse-sink' });
      expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
      expect(d.status?.updatedReplicas).toBe(2);
      expect(d.status?.availableReplicas).toBe(2);
    }, wait);
    await operator.stop();
    operator = undefined;
  });

  it('runs the bot, the operator, Kafka and ClickHouse under the restricted Pod Security Standard', async () => {
    await helmRun(
      'install',
      'pipeline',
      join(repoRoot, 'charts/wikipulse'),
      '--set',
      'bot.enabled=true',
      '--set',
      'bot.discord.existingSecret=discord',
    );
    const apps = admin.makeApiClient(AppsV1Api);
    const names = ['operator', 'bot-gateway', 'bot-worker'].map((c) => `pipeline-wikipulse-${c}`);
    // kwok marks a pod ready only once the namespace's restricted policy admitted it.
    await vi.waitFor(
      async () => {
        for (const name of names) {
          const current = await apps.readNamespacedDeployment({ namespace, name });
          expect(current.status?.availableReplicas, name).toBe(current.spec?.replicas);
        }
      },
      { timeout: 60_000, interval: 200 },
    );
    const worker = await apps.readNamespacedDeployment({
      namespace,
      name: 'pipeline-wikipulse-bot-worker',
    });
    const env = worker.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'KAFKA_BROKERS')?.value).toBe(
      `pipeline-wikipulse-kafka.${namespace}.svc:9092`,
    );
    // No credentials in the URL: the bot's own ClickHouse user, its password a file of the
    // Secret generated for that role.
    expect(env.find((e) => e.name === 'CLICKHOUSE_URL')?.value).toBe(
      `http://pipeline-wikipulse-clickhouse.${namespace}.svc:8123`,
    );
    expect(env.find((e) => e.name === 'CLICKHOUSE_USER')?.value).toBe('wikipulse_bot');
    expect(
      worker.spec?.template.spec?.volumes?.find((v) => v.name === 'clickhouse-password')?.secret
        ?.secretName,
    ).toBe('pipeline-wikipulse-clickhouse-bot');
    expect(env.find((e) => e.name === 'CLICKHOUSE_PASSWORD_FILE')?.value).toBe(
      '/var/run/secrets/wikipulse/clickhouse-password/password',
    );

    // No storage class here: the StatefulSets' pods stay unscheduled, but exist only if admitted.
    const core = admin.makeApiClient(CoreV1Api);
    await vi.waitFor(
      async () => {
        for (const name of ['pipeline-wikipulse-kafka-0', 'pipeline-wikipulse-clickhouse-0']) {
          const pod = await core.readNamespacedPod({ namespace, name });
          expect(pod.spec?.securityContext?.runAsNonRoot, name).toBe(true);
        }
      },
      { timeout: 30_000, interval: 200 },
    );

    // The schema's owner is the default WikiStream, which the operator migrates: no migration
    // Job competes for the database (a release without the pipeline gets one).
    await expect(
      admin
        .makeApiClient(BatchV1Api)
        .readNamespacedJob({ namespace, name: 'pipeline-wikipulse-migrate-1' }),
    ).rejects.toThrow(/404|not found/i);

    const hpa = await admin
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ namespace, name: 'pipeline-wikipulse-bot-worker' });
    expect(hpa.spec.metrics?.[0]?.resource?.name).toBe('cpu');
    expect(hpa.spec.scaleTargetRef.name).toBe('pipeline-wikipulse-bot-worker');
  });

  it('mounts the Secrets of a Kafka with TLS and SCRAM read-only in every pod, and hands them to the operator', async () => {
    await helmRun(
      'install',
      'secured',
      join(repoRoot, 'charts/wikipulse'),
      '--values',
      join(repoRoot, 'charts/wikipulse/ci/kafka-tls-scram-values.yaml'),
    );
    const apps = admin.makeApiClient(AppsV1Api);
    const components = ['bot-gateway', 'bot-worker', 'operator'];
    // The Secrets do not exist here: kwok's node mounts nothing, so admission is what is tested.
    await vi.waitFor(
      async () => {
        for (const component of components) {
          const name = `secured-wikipulse-${component}`;
          const current = await apps.readNamespacedDeployment({ namespace, name });
          expect(current.status?.availableReplicas, name).toBe(current.spec?.replicas);
        }
      },
      { timeout: 60_000, interval: 200 },
    );
    for (const component of components) {
      const pod = (
        await apps.readNamespacedDeployment({ namespace, name: `secured-wikipulse-${component}` })
      ).spec?.template.spec;
      const container = pod?.containers[0];
      const env = new Map((container?.env ?? []).map((e) => [e.name, e]));
      expect(env.get('KAFKA_TLS')?.value, component).toBe('true');
      expect(env.get('KAFKA_SASL_PASSWORD_FILE')?.value, component).toBe(
        '/var/run/secrets/wikipulse/kafka-sasl-password/password',
      );
      expect(env.has('KAFKA_SASL_PASSWORD'), component).toBe(false);
      const secretVolumes = (pod?.volumes ?? []).filter((v) => v.secret);
      // The bot's gateway and workers also share the key that signs their command records.
      const signing = component.startsWith('bot-') ? ['secured-wikipulse-bot-command-signing'] : [];
      expect(secretVolumes.map((v) => v.secret?.secretName).sort(), component).toEqual(
        ['kafka-ca', 'kafka-client', 'kafka-client', 'kafka-credentials', ...signing].sort(),
      );
      for (const volume of secretVolumes) {
        const mount = container?.volumeMounts?.find((m) => m.name === volume.name);
        expect(mount?.readOnly, `${component} ${volume.name}`).toBe(true);
      }
    }
    const operator = await apps.readNamespacedDeployment({
      namespace,
      name: 'secured-wikipulse-operator',
    });
    const appEnv = Object.fromEntries(
      (operator.spec?.template.spec?.containers[0]?.env ?? [])
        .filter((e) => e.name.startsWith('APP_KAFKA'))
        .map((e) => [e.name, e.value]),
    );
    expect(appEnv).toEqual({
      APP_KAFKA_TLS: 'true',
      APP_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      APP_KAFKA_SASL_USERNAME_SECRET: 'kafka-credentials/user',
      APP_KAFKA_SASL_PASSWORD_SECRET: 'kafka-credentials/pass',
      APP_KAFKA_TLS_CA_SECRET: 'kafka-ca/ca.pem',
      APP_KAFKA_TLS_CERT_SECRET: 'kafka-client/tls.crt',
      APP_KAFKA_TLS_KEY_SECRET: 'kafka-client/tls.key',
    });

    // The operator, started with this environment, gives a WikiStream's sink what the chart
    // gives its bot workers (Kafka and ClickHouse too): the same connection variables, Secret
    // volumes and mounts. Its own connection is left out: its files exist only in its pod.
    const forChildren = Object.fromEntries(
      (operator.spec?.template.spec?.containers[0]?.env ?? []).flatMap((e) =>
        e.value !== undefined && /^(APP_|KAFKA_BROKERS$|CLICKHOUSE_URL$)/.test(e.name)
          ? [[e.name, e.value]]
          : [],
      ),
    );
    const operatorEnv = loadEnv({ ...forChildren, WATCH_NAMESPACE: namespace });
    const [, streamSink] = desiredDeployments(
      {
        apiVersion: 'wikipulse.io/v1alpha1',
        kind: 'WikiStream',
        metadata: { name: 'de', namespace, uid: 'uid-de' },
        spec: {
          source: { url: 'https://stream.example.test/rc' },
          kafka: { topic: 'changes.de' },
          clickhouse: { database: 'wikipulse_de' },
        },
      },
      childSettings(operatorEnv),
    );
    const chartWorker = (
      await apps.readNamespacedDeployment({ namespace, name: 'secured-wikipulse-bot-worker' })
    ).spec?.template.spec;
    const connection = (pod: V1PodSpec | undefined) => {
      const container = pod?.containers[0];
      const byName = <T extends { name: string }>(items: T[] | undefined) =>
        [...(items ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      return {
        env: byName(container?.env).filter(
          (e) =>
            /^(KAFKA|CLICKHOUSE)_/.test(e.name) &&
            !['KAFKA_BROKERS', 'CLICKHOUSE_DATABASE'].includes(e.name),
        ),
        // The command signing key is the bot's alone.
        mounts: byName(container?.volumeMounts).filter(
          (m) => m.name !== 'tmp' && m.name !== 'command-signing-key',
        ),
        volumes: byName(pod?.volumes).filter((v) => v.secret && v.name !== 'command-signing-key'),
      };
    };
    expect(connection(streamSink?.spec?.template.spec)).toEqual(connection(chartWorker));
  });
});
