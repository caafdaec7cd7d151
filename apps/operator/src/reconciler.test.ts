import type { V1Deployment } from '@kubernetes/client-node';
import { createLogger } from '@wikipulse/logger';
import { describe, expect, it } from 'vitest';
import type { ChildSettings } from './children.js';
import { Reconciler, ReconcileError, type Cluster, type StreamEvent } from './reconciler.js';
import type { WikiStream, WikiStreamStatus } from './wikistream.js';

/** An in-memory API server holding one WikiStream and its Deployments. */
class MemoryCluster implements Cluster {
  stream: WikiStream | undefined;
  readonly deployments = new Map<string, V1Deployment>();
  readonly events: StreamEvent[] = [];
  statusWrites = 0;

  constructor(stream: WikiStream) {
    this.stream = stream;
  }

  readWikiStream() {
    return Promise.resolve(this.stream && structuredClone(this.stream));
  }

  readDeployment(_namespace: string, name: string) {
    return Promise.resolve(this.deployments.get(name));
  }

  applyDeployment(deployment: V1Deployment) {
    this.deployments.set(deployment.metadata?.name ?? '', structuredClone(deployment));
    return Promise.resolve(deployment);
  }

  patchStatus(_stream: WikiStream, status: WikiStreamStatus) {
    this.statusWrites += 1;
    if (this.stream) this.stream.status = status;
    return Promise.resolve();
  }

  recordEvent(_stream: WikiStream, event: StreamEvent) {
    this.events.push(event);
    return Promise.resolve();
  }
}

const settings: ChildSettings = {
  image: 'wikipulse:1',
  imagePullPolicy: 'IfNotPresent',
  kafkaBrokers: ['kafka:9092'],
  clickhouse: { url: 'http://clickhouse:8123' },
  metricsPort: 9464,
};

function stream(): WikiStream {
  return {
    apiVersion: 'wikipulse.io/v1alpha1',
    kind: 'WikiStream',
    metadata: { name: 'en', namespace: 'wiki', uid: 'u1', generation: 1 },
    spec: {
      source: { url: 'https://stream.example.test/rc' },
      kafka: { topic: 'changes.en' },
      clickhouse: { database: 'wikipulse_en' },
    },
  };
}

function setup(failTopics: { fail: boolean }) {
  const cluster = new MemoryCluster(stream());
  const topics: string[] = [];
  const migrated: string[] = [];
  const reconciler = new Reconciler({
    cluster,
    topics: {
      ensureTopics: (specs) => {
        if (failTopics.fail) return Promise.reject(new Error('broker unreachable'));
        topics.push(...specs.map((s) => `${s.topic}/${s.partitions}`));
        return Promise.resolve();
      },
    },
    schema: {
      migrate: (options) => {
        migrated.push(`${options.database}/${options.retentionDays}`);
        return Promise.resolve();
      },
    },
    settings,
    log: createLogger({ name: 'operator', level: 'silent' }),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { cluster, reconciler, topics, migrated };
}

describe('Reconciler', () => {
  it('creates the topic with the default partitions, migrates, applies and reports Ready', async () => {
    const { cluster, reconciler, topics, migrated } = setup({ fail: false });
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(topics).toEqual(['changes.en/3']);
    expect(migrated).toEqual(['wikipulse_en/30']);
    expect([...cluster.deployments.keys()]).toEqual(['en-ingestor', 'en-sink']);
    expect(cluster.stream?.status?.observedGeneration).toBe(1);
    expect(cluster.stream?.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Reconciled' }),
      expect.objectContaining({
        type: 'Available',
        status: 'False',
        reason: 'DeploymentsProgressing',
      }),
    ]);
    expect(cluster.events.map((e) => e.reason)).toEqual(['Reconciled']);
  });

  it('does nothing the second time: no topic call, no status write', async () => {
    const { cluster, reconciler, topics } = setup({ fail: false });
    await reconciler.reconcile('wiki', 'en');
    const writes = cluster.statusWrites;
    expect(await reconciler.reconcile('wiki', 'en')).toBe('unchanged');
    expect(topics).toHaveLength(1);
    expect(cluster.statusWrites).toBe(writes);
  });

  it('reports a failed step as Ready=False with its reason and a Warning, then recovers', async () => {
    const failing = { fail: true };
    const { cluster, reconciler } = setup(failing);
    const error: unknown = await reconciler.reconcile('wiki', 'en').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconcileError);
    expect((error as ReconcileError).reason).toBe('TopicFailed');
    expect(cluster.stream?.status?.observedGeneration).toBeUndefined();
    expect(cluster.stream?.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'TopicFailed',
        message: 'Kafka topic changes.en: broker unreachable',
      }),
    ]);
    expect(cluster.events).toEqual([
      {
        type: 'Warning',
        reason: 'TopicFailed',
        message: 'Kafka topic changes.en: broker unreachable',
      },
    ]);
    expect(cluster.deployments.size).toBe(0);

    failing.fail = false;
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(cluster.stream?.status?.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Reconciled',
    });
  });

  it('leaves a deleted or deleting stream to the garbage collector', async () => {
    const { cluster, reconciler } = setup({ fail: false });
    cluster.stream!.metadata.deletionTimestamp = new Date();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('deleting');
    cluster.stream = undefined;
    expect(await reconciler.reconcile('wiki', 'en')).toBe('gone');
    expect(cluster.deployments.size).toBe(0);
  });
});
