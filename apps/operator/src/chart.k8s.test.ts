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
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { repoRoot } from '@wikipulse/testing';
import { adminKubeConfig, createTestNamespace } from '@wikipulse/testing/k8s';

import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { desiredDeployments } from './children.js';
import { childConnection, loadEnv } from './env.js';

const run = promisify(execFile);
const helm = join(repoRoot, '.cache/k8s/bin/helm');

let admin: KubeConfig;
let namespace: string;
let dir: string;

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
  await rm(dir, { recursive: true, force: true });
});

describe('helm install of charts/wikipulse into a real API server', () => {
  it('creates the operator Deployment with its least-privilege Role, and it becomes Available', async () => {
    const { stdout } = await helmRun(
      'install',
      'wikipulse',
      join(repoRoot, 'charts/wikipulse'),
      '--set',
      'image.tag=0.1.0',
    );
    expect(stdout).toContain('STATUS: deployed');

    const deployment = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: 'wikipulse-operator' });
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe('wikipulse-operator');
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(
      'ghcr.io/wikipulse/wikipulse:0.1.0',
    );
    const role = await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRole({ namespace, name: 'wikipulse-operator' });
    expect(role.rules?.flatMap((r) => r.verbs)).not.toContain('delete');

    // kwok's node runs no container: Available proves the pod was admitted and scheduled.
    await vi.waitFor(
      async () => {
        const current = await admin
          .makeApiClient(AppsV1Api)
          .readNamespacedDeployment({ namespace, name: 'wikipulse-operator' });
        expect(current.status?.availableReplicas).toBe(1);
      },
      { timeout: 60_000, interval: 200 },
    );

    const { stdout: list } = await helmRun('list', '--output', 'json');
    expect(JSON.parse(list)).toEqual([
      expect.objectContaining({ name: 'wikipulse', status: 'deployed' }),
    ]);
  });

  it('runs the apps, Kafka and ClickHouse under the restricted Pod Security Standard', async () => {
    await helmRun(
      'install',
      'pipeline',
      join(repoRoot, 'charts/wikipulse'),
      '--set',
      'operator.enabled=false',
      '--set',
      'bot.enabled=true',
      '--set',
      'bot.discord.existingSecret=discord',
    );
    const apps = admin.makeApiClient(AppsV1Api);
    const names = ['ingestor', 'sink', 'bot-gateway', 'bot-worker'].map(
      (c) => `pipeline-wikipulse-${c}`,
    );
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
    const sink = await apps.readNamespacedDeployment({
      namespace,
      name: 'pipeline-wikipulse-sink',
    });
    const env = sink.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'KAFKA_BROKERS')?.value).toBe(
      `pipeline-wikipulse-kafka.${namespace}.svc:9092`,
    );
    // No credentials in the URL: the user from the generated Secret, the password a file of it.
    expect(env.find((e) => e.name === 'CLICKHOUSE_URL')?.value).toBe(
      `http://pipeline-wikipulse-clickhouse.${namespace}.svc:8123`,
    );
    expect(env.find((e) => e.name === 'CLICKHOUSE_USER')?.valueFrom?.secretKeyRef).toEqual({
      name: 'pipeline-wikipulse-clickhouse-credentials',
      key: 'user',
    });
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

    // The schema's owner: a Job of this revision migrates as the release, its pod restricted too.
    const job = await admin
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ namespace, name: 'pipeline-wikipulse-migrate-1' });
    const jobEnv = job.spec?.template.spec?.containers[0]?.env ?? [];
    expect(jobEnv.find((e) => e.name === 'SCHEMA_OWNER')?.value).toBe(
      `release/${namespace}/pipeline`,
    );
    expect(job.spec?.template.spec?.containers[0]?.command).toEqual([
      'node',
      'apps/sink/dist/migrate.js',
    ]);
    await vi.waitFor(
      async () => {
        const pods = await core.listNamespacedPod({
          namespace,
          labelSelector: 'job-name=pipeline-wikipulse-migrate-1',
        });
        expect(pods.items.length).toBeGreaterThan(0);
        expect(pods.items[0]?.spec?.securityContext?.runAsNonRoot).toBe(true);
      },
      { timeout: 30_000, interval: 200 },
    );

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
    const components = ['ingestor', 'sink', 'bot-gateway', 'bot-worker', 'operator'];
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
      expect(secretVolumes.map((v) => v.secret?.secretName).sort(), component).toEqual([
        'kafka-ca',
        'kafka-client',
        'kafka-client',
        'kafka-credentials',
      ]);
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
    // gives its own sink: the same connection variables, Secret volumes and mounts. Its own
    // connection is left out: its files exist only in its pod.
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
      {
        image: operatorEnv.APP_IMAGE,
        imagePullPolicy: operatorEnv.APP_IMAGE_PULL_POLICY,
        kafkaBrokers: operatorEnv.KAFKA_BROKERS,
        clickhouse: { url: operatorEnv.CLICKHOUSE_URL },
        connection: childConnection(operatorEnv),
        metricsPort: operatorEnv.APP_METRICS_PORT,
      },
    );
    const chartSink = (
      await apps.readNamespacedDeployment({ namespace, name: 'secured-wikipulse-sink' })
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
        mounts: byName(container?.volumeMounts).filter((m) => m.name !== 'tmp'),
        volumes: byName(pod?.volumes).filter((v) => v.secret),
      };
    };
    expect(connection(streamSink?.spec?.template.spec)).toEqual(connection(chartSink));
  });
});
