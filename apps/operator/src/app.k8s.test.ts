import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { KafkaBus } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { Registry } from '@wikipulse/metrics';
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
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type OperatorApp } from './app.js';
import { loadEnv } from './env.js';
import { GROUP, PLURAL, VERSION, type WikiStream } from './wikistream.js';

/**
 * The operator through `createApp` with a clock set years ahead: the conditions it writes and
 * the Events it records carry the app's time, not the machine's.
 */
const NOW = new Date('2031-05-04T03:02:01.000Z');
const NAME = 'clocked';
const wait = { timeout: 60_000, interval: 200 };
let admin: KubeConfig;
let custom: CustomObjectsApi;
let namespace: string;
let clickhouse: TestClickHouse;
let bus: KafkaBus;
let app: OperatorApp;

async function readStream(name: string): Promise<WikiStream> {
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  })) as WikiStream;
}

beforeAll(async () => {
  admin = adminKubeConfig();
  custom = admin.makeApiClient(CustomObjectsApi);
  await applyYaml(admin, await readFile(join(repoRoot, 'k8s/crds/wikistream.yaml'), 'utf8'));
  namespace = await createTestNamespace(admin, 'operator-clock');
  // The operator runs with exactly the RBAC the chart ships, not as an admin.
  const rbac = await readFile(join(repoRoot, 'k8s/rbac/operator.yaml'), 'utf8');
  await applyYaml(admin, rbac.replaceAll('namespace: wikipulse', `namespace: ${namespace}`));
  clickhouse = await openTestClickHouse();
  bus = testBus('wikipulse-operator-clock-test');
  const env = loadEnv({
    WATCH_NAMESPACE: namespace,
    // What the Deployments it creates are given; kwok's node runs no container.
    KAFKA_BROKERS: 'kafka:9092',
    CLICKHOUSE_URL: 'http://clickhouse:8123',
    APP_IMAGE: 'wikipulse:test',
    APP_IMAGE_PULL_POLICY: 'Never',
  });
  app = createApp(env, {
    kubeConfig: await serviceAccountKubeConfig(admin, namespace, 'wikipulse-operator'),
    topics: bus,
    clickhouse: clickhouse.client,
    log: createLogger({ name: 'operator', level: 'silent' }),
    registry: new Registry(),
    clock: () => NOW,
  });
  await app.start();
});

afterAll(async () => {
  // Removed while the operator runs, which takes its finalizer off.
  await custom
    .deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      name: NAME,
    })
    .catch(() => undefined);
  await vi.waitFor(() => expect(readStream(NAME)).rejects.toMatchObject({ code: 404 }), wait);
  await app.close();
  await clickhouse.close();
  await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
});

describe('the operator on the clock it is given', () => {
  it("stamps the WikiStream's conditions and its Events with the app's time", async () => {
    const created = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'WikiStream',
        metadata: { name: NAME },
        spec: {
          source: { url: 'https://stream.example.test/v2/stream/recentchange' },
          kafka: { topic: uniqueName('wikipulse.clock'), partitions: 1 },
          clickhouse: { database: uniqueName('wikipulse_clock') },
          // Deleting it at the end only takes the finalizer off.
          deletionPolicy: 'Retain',
        },
      },
    })) as WikiStream;

    const stream = await vi.waitFor(async () => {
      const s = await readStream(NAME);
      expect(s.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'True',
      });
      return s;
    }, wait);
    const times = Object.fromEntries(
      (stream.status?.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]),
    );
    expect(times).toEqual({ Ready: '2031-05-04T03:02:01Z', Available: '2031-05-04T03:02:01Z' });

    const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.uid=${created.metadata.uid}`,
    });
    const reconciled = events.items.find((e) => e.reason === 'Reconciled');
    expect(reconciled?.firstTimestamp?.toISOString()).toBe(NOW.toISOString());
    expect(reconciled?.lastTimestamp?.toISOString()).toBe(NOW.toISOString());
  });
});
