import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  readRecording,
  recordingsDir,
  repoRoot,
  startEventStreamsServer,
  type EventStreamsServer,
} from '@wikipulse/testing';
import {
  adminKubeConfig,
  ApiServerLink,
  createTestNamespace,
  leaseHolderKubeConfig,
} from '@wikipulse/testing/k8s';
import { testBus, uniqueName } from '@wikipulse/testing/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  kafkaEnv,
  startIngestor as start,
  until,
  type IngestorProcess,
} from './testing/processes.js';

const LEASE = 'enwiki-ingestor';
const lines = ['enwiki-2023-07-29-100.jsonl', 'multiwiki-2026-09-17-24.jsonl'].flatMap((f) =>
  readRecording(join(recordingsDir, f)),
);
const children = new Set<ChildProcess>();
let admin: KubeConfig;
let asIngestor: KubeConfig;
let namespace: string;
let dir: string;
let kubeconfigFile: string;
let server: EventStreamsServer | undefined;

interface Child extends IngestorProcess {
  name: string;
}

/** The built ingestor as a pod runs it, with the variables the operator gives its pods. */
function startIngestor(name: string, env: Record<string, string>): Child {
  const child = start(
    {
      LEASE_NAME: LEASE,
      POD_NAME: name,
      POD_NAMESPACE: namespace,
      KUBECONFIG: kubeconfigFile,
      ...env,
    },
    children,
  );
  return { name, ...child };
}

const logOf = (child: Child) => child.stderr.join('');

async function ops(child: Child, path: string): Promise<Response> {
  const port = /"metricsPort":(\d+)/.exec(logOf(child))![1];
  return fetch(`http://127.0.0.1:${port}${path}`);
}

async function leaderGauge(child: Child): Promise<number> {
  const metrics = await (await ops(child, '/metrics')).text();
  return Number(/^wikipulse_ingestor_leader\{app="ingestor"\} (\d+)$/m.exec(metrics)?.[1]);
}

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-b', 'apps/ingestor'], { cwd: repoRoot, stdio: 'inherit' });
  admin = adminKubeConfig();
  namespace = await createTestNamespace(admin, 'ingestor-leader');
  // Exactly the RBAC docs/leader-election.md gives the ingestor's service account.
  asIngestor = await leaseHolderKubeConfig(admin, namespace, [LEASE]);
  dir = await mkdtemp(join(tmpdir(), 'wikipulse-ingestor-leader-'));
  kubeconfigFile = join(dir, 'kubeconfig');
  await writeFile(kubeconfigFile, asIngestor.exportConfig());
});

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The local EventStreams server and the variables of a pipeline with a topic of its own. */
async function pipeline(total: number) {
  server = await startEventStreamsServer({
    lines,
    limit: total,
    rate: 150,
    duplicateEvery: 41,
    record: true,
  });
  const topic = uniqueName('leader_events');
  const env = kafkaEnv(server.url, topic);
  const expected = new Set<string>();
  for (let i = 0; i < total; i += 1) {
    const entry = server.log.entryAt(i)!;
    if (entry.kind === 'event') expected.add(entry.metaId!);
  }
  return { server, topic, env, expected };
}

/** Every served event is in the topic exactly once: none lost, none doubled. */
async function expectExactlyOnce(topic: string, expected: Set<string>): Promise<void> {
  const events = await collect(testBus(), topic, (m) => m.length >= expected.size);
  const ids = events.map((m) => m.headers['meta-id']!);
  expect(ids.length).toBe(expected.size);
  expect(new Set(ids)).toEqual(expected);
}

describe('two ingestors on one lease', () => {
  it('only the leader ingests; after kill -9 the standby takes over within 15 s, every event exactly once', async () => {
    const { server, topic, env, expected } = await pipeline(3000);
    // Both start together; the lease decides.
    const pods = [startIngestor('ingestor-a', env), startIngestor('ingestor-b', env)];
    await until('a leader', () => pods.some((p) => logOf(p).includes('"msg":"became leader"')));
    await server.waitForEvents(900);

    const [leader, standby] = logOf(pods[0]!).includes('"msg":"became leader"')
      ? [pods[0]!, pods[1]!]
      : [pods[1]!, pods[0]!];
    expect(logOf(standby)).not.toMatch(/became leader|ingestor starting/);
    expect(logOf(standby)).toContain(`"holder":"${leader.name}","msg":"lease holder"`);
    // One reader of the stream, and the standby is Ready without one.
    expect(server.counters.connections).toBe(1);
    const standbyReady = await ops(standby, '/readyz');
    expect(standbyReady.status).toBe(200);
    expect(await standbyReady.json()).toEqual({
      ready: true,
      checks: { stream: true, output: true, lease: true },
      leader: false,
    });
    expect(await (await ops(leader, '/readyz')).json()).toEqual({
      ready: true,
      checks: { stream: true, output: true, lease: true },
      leader: true,
    });
    expect(await leaderGauge(leader)).toBe(1);
    expect(await leaderGauge(standby)).toBe(0);

    const killedAt = performance.now();
    const requestsBefore = server.requests.length;
    leader.process.kill('SIGKILL');
    expect(await leader.exited).toBe(null);
    await until('the standby to take over', () => logOf(standby).includes('became leader'), 30_000);
    const leadAfter = performance.now() - killedAt;
    await until('the stream to resume', () => server.requests.length > requestsBefore, 30_000);
    const resumedAfter = performance.now() - killedAt;
    console.log(
      `[ingestor] kill -9 of the leader: standby leads after ${(leadAfter / 1000).toFixed(2)} s, ` +
        `reads the stream again after ${(resumedAfter / 1000).toFixed(2)} s`,
    );
    expect(resumedAfter).toBeLessThan(15_000);
    // It resumed from the dead leader's checkpoint, with its window rebuilt from the topic.
    expect(server.requests.at(-1)!.lastEventId).toBeDefined();
    expect(logOf(standby)).toMatch(/restored position and deduplication window/);
    expect(logOf(standby)).not.toMatch(/"resumeFrom":null/);

    await expectExactlyOnce(topic, expected);
    expect(await leaderGauge(standby)).toBe(1);

    // A clean stop releases the lease at once for the next replica.
    standby.process.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    expect(logOf(standby)).toMatch(/"msg":"lease released"/);
    const lease = await admin
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: LEASE });
    expect(lease.spec?.holderIdentity).toBeUndefined();
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it('a leader cut off from the API server exits before the standby takes over, every event exactly once', async () => {
    const { server, topic, env, expected } = await pipeline(2500);
    const link = await ApiServerLink.start(asIngestor);
    try {
      const linkedConfig = join(dir, 'kubeconfig-linked');
      await writeFile(linkedConfig, link.kubeConfig(asIngestor).exportConfig());
      const leader = startIngestor('ingestor-c', { ...env, KUBECONFIG: linkedConfig });
      await until('a leader', () => logOf(leader).includes('"msg":"became leader"'));
      const standby = startIngestor('ingestor-d', env);
      await until('the standby', () => logOf(standby).includes('"msg":"lease holder"'));
      await server.waitForEvents(600);

      const cutAt = performance.now();
      link.cut();
      let standbyLeadsAt: number | undefined;
      const watch = until('the standby to lead', () => {
        if (standbyLeadsAt === undefined && logOf(standby).includes('became leader')) {
          standbyLeadsAt = performance.now() - cutAt;
        }
        return standbyLeadsAt !== undefined;
      });
      expect(await leader.exited).toBe(1);
      const exitedAt = performance.now() - cutAt;
      await watch;
      console.log(
        `[ingestor] API server cut off: the leader exited after ${(exitedAt / 1000).toFixed(2)} s, ` +
          `the standby led after ${(standbyLeadsAt! / 1000).toFixed(2)} s`,
      );
      expect(logOf(leader)).toMatch(/"msg":"lost the lease; exiting at once"/);
      expect(exitedAt).toBeLessThan(standbyLeadsAt!);
      await expectExactlyOnce(topic, expected);
    } finally {
      await link.close();
    }
  });
});
