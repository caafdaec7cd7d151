/*
 * The chart's embedded ClickHouse gets the role users of `ROLES` (roles.ts): Helm cannot read
 * TypeScript, so the chart writes the grants out itself, and this test keeps the two equal. It
 * installs and upgrades the chart on a real API server, where the generated passwords must
 * survive the upgrade (the chart's `lookup` of its own Secrets).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@wikipulse/testing';
import { adminKubeConfig, createTestNamespace } from '@wikipulse/testing/k8s';
import { openTestClickHouse, withRoleClient } from '@wikipulse/testing/vitest';
import { ROLE_NAMES, roleGrants, type RoleName } from './roles.js';

const run = promisify(execFile);
const helm = join(repoRoot, '.cache/k8s/bin/helm');
const chart = join(repoRoot, 'charts/wikipulse');
const botValues = ['--set', 'bot.enabled=true', '--set', 'bot.discord.existingSecret=discord'];

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

/** Each user of a users.d file with the text of its grant queries. */
function usersOf(xml: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const [, name = '', body = ''] of xml.matchAll(/<(\w+)>\s*<password([\s\S]*?)<\/\1>/g)) {
    users.set(
      name,
      [...body.matchAll(/<query>([^<]*)<\/query>/g)].map(([, query = '']) => query),
    );
  }
  return users;
}

const defaultNames: Record<RoleName, string> = {
  sink: 'wikipulse_sink',
  bot: 'wikipulse_bot',
  grafana: 'wikipulse_grafana',
  operator: 'wikipulse_operator',
};

function expectedUsers(database: string, names = defaultNames): Map<string, string[]> {
  return new Map(ROLE_NAMES.map((role) => [names[role], roleGrants(role, database)]));
}

beforeAll(async () => {
  admin = adminKubeConfig();
  namespace = await createTestNamespace(admin, 'roles');
  dir = await mkdtemp(join(tmpdir(), 'wikipulse-roles-helm-'));
  await writeFile(join(dir, 'admin.kubeconfig'), inject('k8sAdminKubeconfig'), { mode: 0o600 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The users.d file the chart renders for a database. */
async function renderedUsersXml(...set: string[]): Promise<string> {
  const { stdout } = await run(helm, [
    'template',
    'r',
    chart,
    ...set.flatMap((value) => ['--set', value]),
    ...botValues,
  ]);
  const configMap = parseAllDocuments(stdout)
    .map((d) => d.toJS() as { kind?: string; data?: Record<string, string> } | null)
    .find((o) => o?.kind === 'ConfigMap' && o.data?.['wikipulse-roles.xml'] !== undefined);
  return configMap!.data!['wikipulse-roles.xml']!;
}

describe('the chart’s ClickHouse role users', () => {
  it('render a users.d file ClickHouse loads, each user holding its role’s grants', async () => {
    const ch = await openTestClickHouse();
    try {
      const xml = await renderedUsersXml(`clickhouse.database=${ch.database}`);
      for (const role of ROLE_NAMES) {
        // The engine's one session is `default`: the role's user takes that name, the rest stay.
        const name = defaultNames[role];
        const asDefault = xml
          .replaceAll(`<${name}>`, '<default>')
          .replaceAll(`</${name}>`, '</default>');
        await withRoleClient(
          ch,
          role,
          async (client) => {
            await expect(
              client.command({ query: 'CREATE USER intruder IDENTIFIED WITH no_password' }),
            ).rejects.toThrow(/ACCESS_DENIED|Not enough privileges/);
          },
          { usersXml: asDefault },
        );
      }
    } finally {
      await ch.close();
    }
  });

  it('render the grants of roles.ts for any database and user names', async () => {
    const xml = await renderedUsersXml(
      'clickhouse.database=other_db',
      'clickhouse.users.bot.name=discord_bot',
    );
    expect(usersOf(xml)).toEqual(
      expectedUsers('other_db', { ...defaultNames, bot: 'discord_bot' }),
    );
  });

  it('are installed with generated passwords that an upgrade keeps', async () => {
    const values = [
      '--set',
      'operator.enabled=false',
      '--set',
      'pipeline.enabled=false',
      '--set',
      'grafana.datasource.enabled=true',
    ];
    await helmRun('install', 'roles', chart, ...values, ...botValues);
    const core = admin.makeApiClient(CoreV1Api);
    const configMap = await core.readNamespacedConfigMap({
      namespace,
      name: 'roles-wikipulse-clickhouse-users',
    });
    expect(usersOf(configMap.data?.['wikipulse-roles.xml'] ?? '')).toEqual(
      expectedUsers('wikipulse'),
    );

    const secretNames = [
      ...ROLE_NAMES.map((role) => `roles-wikipulse-clickhouse-${role}`),
      'roles-wikipulse-bot-command-signing',
    ];
    const read = async () =>
      Promise.all(
        secretNames.map(
          async (name) => (await core.readNamespacedSecret({ namespace, name })).data,
        ),
      );
    const installed = await read();
    for (const [i, role] of ROLE_NAMES.entries()) {
      const data = installed[i]!;
      expect(Buffer.from(data['user']!, 'base64').toString()).toBe(defaultNames[role]);
      expect(Buffer.from(data['password']!, 'base64').length).toBeGreaterThanOrEqual(32);
    }
    const passwords = installed.map((d) => d?.['password'] ?? d?.['key']);
    expect(new Set(passwords).size).toBe(secretNames.length);

    // Grafana's datasource connects as the read-only user, with its password.
    const datasource = async () =>
      (await core.readNamespacedSecret({ namespace, name: 'roles-wikipulse-grafana-datasource' }))
        .data?.['wikipulse-clickhouse.yaml'];
    const provisioned = Buffer.from((await datasource()) ?? '', 'base64').toString();
    const grafanaPassword = Buffer.from(
      installed[ROLE_NAMES.indexOf('grafana')]!['password']!,
      'base64',
    ).toString();
    expect(provisioned).toContain('username: "wikipulse_grafana"');
    expect(provisioned).toContain(`password: "${grafanaPassword}"`);

    await helmRun('upgrade', 'roles', chart, ...values, ...botValues);
    expect(await read()).toEqual(installed);
    expect(Buffer.from((await datasource()) ?? '', 'base64').toString()).toBe(provisioned);

    // The server reads each password from the variable its users.d entry names.
    const server = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedStatefulSet({ namespace, name: 'roles-wikipulse-clickhouse' });
    const env = server.spec?.template.spec?.containers[0]?.env ?? [];
    for (const role of ROLE_NAMES) {
      expect(env.find((e) => e.name === `WIKIPULSE_${role.toUpperCase()}_PASSWORD`)).toEqual({
        name: `WIKIPULSE_${role.toUpperCase()}_PASSWORD`,
        valueFrom: {
          secretKeyRef: { name: `roles-wikipulse-clickhouse-${role}`, key: 'password' },
        },
      });
      expect(configMap.data?.['wikipulse-roles.xml']).toContain(
        `<password from_env="WIKIPULSE_${role.toUpperCase()}_PASSWORD"/>`,
      );
    }
    await helmRun('uninstall', 'roles');
  });
});
