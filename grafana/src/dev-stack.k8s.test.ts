/*
 * The development Prometheus, Grafana and console-only bot exactly as `tilt up` applies them
 * (the Tiltfile's own output, with the generated rules and dashboards in their ConfigMaps),
 * applied to a real API server in a namespace that enforces the restricted Pod Security
 * Standard. The bot's image is left as named: kwok runs no container.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@wikipulse/testing';
import {
  adminKubeConfig,
  applyYaml,
  createTestNamespace,
  serviceAccountKubeConfig,
} from '@wikipulse/testing/k8s';

interface Manifest {
  Name: string;
  DeployTarget?: { yaml?: string };
}

let admin: KubeConfig;
let namespace: string;
let dir: string;
let manifests: Map<string, Manifest>;

/** The objects one Tilt resource applies. */
function objectsOf(resource: string): Record<string, unknown>[] {
  const yaml = manifests.get(resource)?.DeployTarget?.yaml ?? '';
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null);
}

beforeAll(async () => {
  admin = adminKubeConfig();
  namespace = await createTestNamespace(admin, 'tilt-dev', {
    'pod-security.kubernetes.io/enforce': 'restricted',
  });
  dir = await mkdtemp(join(tmpdir(), 'wikipulse-tilt-'));
  const settings = join(dir, 'tilt-settings.yaml');
  await writeFile(settings, `namespace: ${namespace}\n`);
  const bin = join(repoRoot, '.cache/k8s/bin');
  const { stdout } = await promisify(execFile)(
    join(bin, 'tilt'),
    ['alpha', 'tiltfile-result', '--file', 'Tiltfile'],
    {
      cwd: repoRoot,
      // The Tiltfile renders the chart with the toolchain's helm.
      env: {
        ...process.env,
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
        WIKIPULSE_TILT_SETTINGS: settings,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const result = JSON.parse(stdout) as { Manifests: Manifest[] };
  manifests = new Map(result.Manifests.map((m) => [m.Name, m]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the development Prometheus, Grafana and bot console of the Tiltfile', () => {
  it('are admitted under the restricted profile and become Available', async () => {
    // Grafana and the console read their ClickHouse users' credentials from the chart's
    // Secrets, part of the setup resource.
    const secrets = objectsOf('wikipulse-setup').filter(
      (o) => o['kind'] === 'Secret' && JSON.stringify(o).includes('wikipulse-clickhouse-'),
    );
    expect(secrets.map((s) => (s['metadata'] as { name: string }).name)).toEqual(
      expect.arrayContaining(['wikipulse-clickhouse-grafana', 'wikipulse-clickhouse-bot']),
    );
    const objects = [
      ...secrets,
      ...objectsOf('prometheus'),
      ...objectsOf('grafana'),
      ...objectsOf('bot-console'),
    ];
    for (const object of objects) {
      expect((object['metadata'] as { namespace: string }).namespace).toBe(namespace);
    }
    await applyYaml(admin, objects.map((o) => `---\n${JSON.stringify(o)}\n`).join(''));

    const apps = admin.makeApiClient(AppsV1Api);
    // kwok marks a pod ready only once the namespace's restricted policy admitted it.
    await vi.waitFor(
      async () => {
        for (const name of [
          'wikipulse-dev-prometheus',
          'wikipulse-dev-grafana',
          'wikipulse-dev-bot-console',
        ]) {
          const deployment = await apps.readNamespacedDeployment({ namespace, name });
          expect(deployment.status?.availableReplicas, name).toBe(1);
        }
      },
      { timeout: 60_000, interval: 200 },
    );
    const core = admin.makeApiClient(CoreV1Api);
    const rules = await core.readNamespacedConfigMap({
      namespace,
      name: 'wikipulse-dev-prometheus-rules',
    });
    expect(Object.keys(rules.data ?? {})).toEqual(['wikipulse.rules.yaml']);
    const dashboards = await core.readNamespacedConfigMap({
      namespace,
      name: 'wikipulse-dev-grafana-dashboards',
    });
    expect(Object.keys(dashboards.data ?? {}).sort()).toEqual([
      'activity.json',
      'bot.json',
      'pipeline.json',
    ]);
  });

  it('lets nobody into Grafana anonymously and gives its admin a generated password', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({
      namespace,
      name: 'wikipulse-dev-grafana-admin',
    });
    expect(Buffer.from(secret.data?.['password'] ?? '', 'base64').length).toBeGreaterThanOrEqual(
      24,
    );
    const grafana = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace, name: 'wikipulse-dev-grafana' });
    const env = new Map(
      (grafana.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e]),
    );
    expect(env.get('GF_AUTH_ANONYMOUS_ENABLED')?.value).toBe('false');
    expect(env.get('CLICKHOUSE_USER')?.valueFrom?.secretKeyRef?.name).toBe(
      'wikipulse-clickhouse-grafana',
    );
  });

  it("lets Prometheus' ServiceAccount read the namespace's pods and nothing else", async () => {
    const prometheus = await serviceAccountKubeConfig(admin, namespace, 'wikipulse-dev-prometheus');
    const core = prometheus.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace });
    expect(pods.items.map((p) => p.metadata?.name).join()).toContain('wikipulse-dev-grafana');
    const refused = async (call: () => Promise<unknown>) => {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: number } | undefined)?.code).toBe(403);
    };
    await refused(() => core.listNamespacedSecret({ namespace }));
    await refused(() => core.listNamespacedPod({ namespace: 'default' }));
    await refused(() => core.listPodForAllNamespaces());
    await refused(() =>
      core.deleteNamespacedPod({ namespace, name: pods.items[0]!.metadata!.name! }),
    );
  });
});
