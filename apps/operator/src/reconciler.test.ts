import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { createLogger } from '@wikipulse/logger';
import { OwnershipError } from '@wikipulse/store';
import { describe, expect, it } from 'vitest';
import type { ChildSettings, PodSettings } from './children.js';
import { FINALIZER } from './cleanup.js';
import {
  Reconciler,
  ReconcileError,
  type Cluster,
  type Schema,
  type StreamEvent,
  type Topics,
} from './reconciler.js';
import type { WikiStream, WikiStreamSpec, WikiStreamStatus } from './wikistream.js';

/** An in-memory API server holding WikiStreams and their children, with resourceVersions. */
class MemoryCluster implements Cluster {
  readonly streams = new Map<string, WikiStream>();
  readonly deployments = new Map<string, V1Deployment>();
  /** Every other child, by `Kind/name`. */
  readonly others = new Map<string, KubernetesObject>();
  applies = 0;
  serviceMonitors = false;
  readonly events: StreamEvent[] = [];
  statusWrites = 0;
  #version = 1;

  constructor(...streams: WikiStream[]) {
    for (const s of streams) this.streams.set(s.metadata.name, s);
  }

  get stream(): WikiStream | undefined {
    return this.streams.get('en');
  }

  #bump(stream: WikiStream) {
    this.#version += 1;
    stream.metadata.resourceVersion = String(this.#version);
  }

  readWikiStream(_namespace: string, name: string) {
    const s = this.streams.get(name);
    return Promise.resolve(s && structuredClone(s));
  }

  listWikiStreams() {
    return Promise.resolve([...this.streams.values()].map((s) => structuredClone(s)));
  }

  setFinalizers(stream: WikiStream, finalizers: readonly string[]) {
    const stored = this.streams.get(stream.metadata.name);
    if (!stored) return Promise.reject(new Error('not found'));
    if (stored.metadata.resourceVersion !== stream.metadata.resourceVersion) {
      return Promise.reject(new Error('conflict: the object has been modified'));
    }
    stored.metadata.finalizers = [...finalizers];
    this.#bump(stored);
    // Like the API server: the last finalizer gone, a deleting object goes.
    if (stored.metadata.deletionTimestamp && finalizers.length === 0) {
      this.streams.delete(stream.metadata.name);
    }
    return Promise.resolve(structuredClone(stored));
  }

  readDeployment(_namespace: string, name: string) {
    return Promise.resolve(
      this.deployments.get(name) && structuredClone(this.deployments.get(name)),
    );
  }

  apply<T extends KubernetesObject>(object: T): Promise<T> {
    this.applies += 1;
    const name = object.metadata?.name ?? '';
    if (object.kind !== 'Deployment') {
      this.others.set(`${object.kind}/${name}`, structuredClone(object));
      return Promise.resolve(structuredClone(object));
    }
    const deployment = object as V1Deployment;
    const before = this.deployments.get(name);
    // Like the API server: an apply that changes nothing keeps the generation.
    const same = before && JSON.stringify(before.spec) === JSON.stringify(deployment.spec);
    const stored: V1Deployment = {
      ...structuredClone(deployment),
      metadata: {
        ...deployment.metadata,
        generation: (before?.metadata?.generation ?? 0) + (same ? 0 : 1),
      },
      ...(before?.status ? { status: before.status } : {}),
    };
    this.deployments.set(name, stored);
    return Promise.resolve(structuredClone(stored) as unknown as T);
  }

  servesServiceMonitors() {
    return Promise.resolve(this.serviceMonitors);
  }

  listChildren(_namespace: string, kind: string, labels: Record<string, string>) {
    return Promise.resolve(
      [...this.others.values()].filter(
        (o) =>
          o.kind === kind &&
          Object.entries(labels).every(([k, v]) => o.metadata?.labels?.[k] === v),
      ),
    );
  }

  deleteChild(object: KubernetesObject) {
    this.others.delete(`${object.kind}/${object.metadata?.name}`);
    return Promise.resolve();
  }

  /** The Deployment controller and kubelet: every pod of every Deployment gone or started. */
  settle() {
    for (const d of this.deployments.values()) {
      const replicas = d.spec?.replicas ?? 1;
      d.status = {
        observedGeneration: d.metadata?.generation ?? 0,
        replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
      };
    }
  }

  patchStatus(stream: WikiStream, status: WikiStreamStatus) {
    this.statusWrites += 1;
    const stored = this.streams.get(stream.metadata.name);
    if (stored) {
      const owned = { ...stored.status?.owned, ...status.owned };
      stored.status = {
        ...stored.status,
        ...status,
        ...(Object.keys(owned).length > 0 ? { owned } : {}),
      };
      this.#bump(stored);
    }
    return Promise.resolve();
  }

  recordEvent(_stream: WikiStream, event: StreamEvent) {
    this.events.push(event);
    return Promise.resolve();
  }

  /** A delete request: with finalizers the object stays, marked. */
  delete(name: string) {
    const stored = this.streams.get(name);
    if (!stored) return;
    if ((stored.metadata.finalizers ?? []).length === 0) this.streams.delete(name);
    else {
      stored.metadata.deletionTimestamp = new Date('2026-01-01T00:01:00Z');
      this.#bump(stored);
    }
  }
}

const pod: PodSettings = {
  nodeFlags: [],
  logLevel: 'info',
  resources: {},
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

const withoutBudget: PodSettings = { ...pod };
delete withoutBudget.pdbMaxUnavailable;

const settings: ChildSettings = {
  image: 'wikipulse:1',
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  kafkaBrokers: ['kafka:9092'],
  clickhouse: { url: 'http://clickhouse:8123' },
  connection: { kafkaTls: false, files: {} },
  metricsPort: 9464,
  pods: { ingestor: pod, sink: pod },
  serviceMonitor: { interval: '30s', labels: {} },
};

function stream(
  name = 'en',
  spec: Partial<Pick<WikiStreamSpec, 'deletionPolicy'>> & {
    topic?: string;
    database?: string;
  } = {},
): WikiStream {
  return {
    apiVersion: 'wikipulse.io/v1alpha1',
    kind: 'WikiStream',
    metadata: { name, namespace: 'wiki', uid: `u-${name}`, generation: 1, resourceVersion: '1' },
    spec: {
      source: { url: 'https://stream.example.test/rc' },
      kafka: { topic: spec.topic ?? `changes.${name}` },
      clickhouse: { database: spec.database ?? `wikipulse_${name}` },
      ...(spec.deletionPolicy ? { deletionPolicy: spec.deletionPolicy } : {}),
    },
  };
}

/**
 * Kafka and ClickHouse as sets of names, with switches to make a call fail. Owners are recorded
 * per database with the topic, and refused as `clickHouseSchema` refuses them (the real rules
 * are tested against the engine in `@wikipulse/store`).
 */
class Outside {
  readonly topics = new Set<string>();
  readonly databases = new Set<string>();
  readonly owners = new Map<string, { owner: string; topic?: string }>();
  /** Databases that exist without an owner but hold Wikipulse tables. */
  readonly unowned = new Set<string>();
  readonly groups = new Set<string>();
  readonly created: string[] = [];
  readonly migrated: string[] = [];
  readonly failing = new Set<'ensureTopics' | 'deleteTopics' | 'deleteGroups' | 'dropDatabase'>();

  #check(call: 'ensureTopics' | 'deleteTopics' | 'deleteGroups' | 'dropDatabase') {
    if (this.failing.has(call)) throw new Error('broker unreachable');
  }

  readonly topicsApi: Topics = {
    ensureTopics: (specs) => {
      this.#check('ensureTopics');
      const made = specs.filter((s) => !this.topics.has(s.topic));
      for (const s of made) {
        this.topics.add(s.topic);
        this.created.push(`${s.topic}/${s.partitions}`);
      }
      return Promise.resolve(made.map((s) => s.topic));
    },
    deleteTopics: (names) => {
      this.#check('deleteTopics');
      const present = names.filter((t) => this.topics.delete(t));
      return Promise.resolve(present);
    },
    deleteGroups: (ids) => {
      this.#check('deleteGroups');
      for (const id of ids) this.groups.delete(id);
      return Promise.resolve();
    },
  };

  #refuseOther(database: string, owner: string) {
    const recorded = this.owners.get(database)?.owner;
    if (recorded !== undefined && recorded !== owner) {
      throw new OwnershipError(
        'OwnedByAnother',
        `database ${database} is owned by ${recorded}, not ${owner}; it is left unchanged`,
        recorded,
      );
    }
  }

  readonly schemaApi: Schema = {
    migrate: (options) => {
      this.#refuseOther(options.database, options.owner);
      if (this.unowned.has(options.database) && options.adoptUnowned !== true) {
        throw new OwnershipError(
          'NotOwned',
          `database ${options.database} has no Wikipulse owner and holds Wikipulse tables`,
        );
      }
      this.unowned.delete(options.database);
      const existed = this.databases.has(options.database);
      this.databases.add(options.database);
      this.owners.set(options.database, {
        owner: options.owner,
        ...(options.topic !== undefined ? { topic: options.topic } : {}),
      });
      this.migrated.push(`${options.database}/${options.retentionDays}`);
      return Promise.resolve({ createdDatabase: !existed });
    },
    topicOwner: (topic) =>
      Promise.resolve([...this.owners.values()].find((o) => o.topic === topic)?.owner),
    transferDatabase: (database, from, to) => {
      this.#refuseOther(database, from);
      if (this.owners.has(database)) this.owners.set(database, to);
      return Promise.resolve();
    },
    dropDatabase: (database, owner) => {
      this.#check('dropDatabase');
      this.#refuseOther(database, owner);
      this.databases.delete(database);
      this.owners.delete(database);
      return Promise.resolve();
    },
  };
}

function setup(...streams: WikiStream[]) {
  const cluster = new MemoryCluster(...(streams.length > 0 ? streams : [stream()]));
  const outside = new Outside();
  const reconciler = new Reconciler({
    cluster,
    topics: outside.topicsApi,
    schema: outside.schemaApi,
    settings,
    log: createLogger({ name: 'operator', level: 'silent' }),
    clock: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { cluster, reconciler, outside };
}

function condition(s: WikiStream | undefined, type: string) {
  return s?.status?.conditions?.find((c) => c.type === type);
}

describe('Reconciler', () => {
  it('adds its finalizer, creates the topic, migrates, applies, records what it created, reports Ready', async () => {
    const { cluster, reconciler, outside } = setup();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(cluster.stream?.metadata.finalizers).toEqual([FINALIZER]);
    expect(outside.created).toEqual(['changes.en/3']);
    expect(outside.migrated).toEqual(['wikipulse_en/30']);
    expect([...cluster.deployments.keys()]).toEqual(['en-ingestor', 'en-sink']);
    expect(cluster.stream?.status?.owned).toEqual({
      topic: 'changes.en',
      database: 'wikipulse_en',
    });
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

  it('the second time only applies the children again: no topic call, no migration, no status write', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    const writes = cluster.statusWrites;
    const applies = cluster.applies;
    const generation = cluster.deployments.get('en-sink')?.metadata?.generation;
    expect(await reconciler.reconcile('wiki', 'en')).toBe('resynced');
    expect(outside.created).toHaveLength(1);
    expect(outside.migrated).toHaveLength(1);
    expect(cluster.statusWrites).toBe(writes);
    expect(cluster.applies).toBe(applies * 2);
    expect(cluster.deployments.get('en-sink')?.metadata?.generation).toBe(generation);
  });

  it('applies every child: identity, Services, budgets, and ServiceMonitors where served', async () => {
    const { cluster, reconciler } = setup();
    cluster.serviceMonitors = true;
    await reconciler.reconcile('wiki', 'en');
    expect([...cluster.others.keys()].sort()).toEqual([
      'PodDisruptionBudget/en-ingestor',
      'PodDisruptionBudget/en-sink',
      'Role/en-ingestor',
      'RoleBinding/en-ingestor',
      'Service/en-ingestor',
      'Service/en-sink',
      'ServiceAccount/en-ingestor',
      'ServiceMonitor/en-ingestor',
      'ServiceMonitor/en-sink',
    ]);
  });

  it('deletes the budgets and monitors its settings no longer ask for, and nothing else', async () => {
    const { cluster, reconciler, outside } = setup();
    cluster.serviceMonitors = true;
    await reconciler.reconcile('wiki', 'en');
    const foreign = structuredClone(cluster.others.get('PodDisruptionBudget/en-sink')!);
    foreign.metadata!.name = 'someone-elses';
    foreign.metadata!.ownerReferences = [];
    cluster.others.set('PodDisruptionBudget/someone-elses', foreign);
    const fewer = new Reconciler({
      cluster,
      topics: outside.topicsApi,
      schema: outside.schemaApi,
      settings: { ...settings, pods: { ingestor: withoutBudget, sink: pod } },
      log: createLogger({ name: 'operator', level: 'silent' }),
    });
    cluster.serviceMonitors = false;
    await fewer.reconcile('wiki', 'en');
    expect([...cluster.others.keys()].filter((k) => !k.startsWith('Role'))).toEqual([
      'ServiceAccount/en-ingestor',
      'Service/en-ingestor',
      'Service/en-sink',
      'PodDisruptionBudget/en-sink',
      'ServiceMonitor/en-ingestor',
      'ServiceMonitor/en-sink',
      'PodDisruptionBudget/someone-elses',
    ]);
  });

  it('sets back a child someone changed, at the next reconcile of an unchanged stream', async () => {
    const { cluster, reconciler } = setup();
    await reconciler.reconcile('wiki', 'en');
    cluster.deployments.get('en-sink')!.spec!.template.spec!.containers[0]!.image = 'evil:1';
    cluster.others.delete('Service/en-sink');
    expect(await reconciler.reconcile('wiki', 'en')).toBe('resynced');
    expect(cluster.deployments.get('en-sink')?.spec?.template.spec?.containers[0]?.image).toBe(
      'wikipulse:1',
    );
    expect(cluster.others.has('Service/en-sink')).toBe(true);
  });

  it('applies the Deployments again when the operator restarts with other connection settings', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    const secured = new Reconciler({
      cluster,
      topics: outside.topicsApi,
      schema: outside.schemaApi,
      settings: {
        ...settings,
        connection: {
          kafkaTls: true,
          files: { KAFKA_TLS_CA_FILE: { name: 'kafka-ca', key: 'ca.crt' } },
        },
      },
      log: createLogger({ name: 'operator', level: 'silent' }),
    });
    const before = cluster.deployments.get('en-ingestor')?.metadata?.generation ?? 0;
    expect(await secured.reconcile('wiki', 'en')).toBe('resynced');
    const ingestor = cluster.deployments.get('en-ingestor');
    expect(ingestor?.spec?.template.spec?.volumes?.map((v) => v.secret?.secretName)).toEqual([
      undefined,
      'kafka-ca',
    ]);
    expect(ingestor?.metadata?.generation).toBe(before + 1);
  });

  it('does not claim a topic or database that existed before', async () => {
    const { cluster, reconciler, outside } = setup();
    outside.topics.add('changes.en');
    outside.databases.add('wikipulse_en');
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(cluster.stream?.status?.owned).toBeUndefined();
  });

  it('reports a failed step as Ready=False with its reason and a Warning, then recovers', async () => {
    const { cluster, reconciler, outside } = setup();
    outside.failing.add('ensureTopics');
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
    // The finalizer came first: the stream cannot go without the operator seeing it.
    expect(cluster.stream?.metadata.finalizers).toEqual([FINALIZER]);

    outside.failing.clear();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(cluster.stream?.status?.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Reconciled',
    });
  });

  it('on deletion stops the pipeline first, then deletes the group, topic and database, then lets go', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    cluster.settle();
    outside.groups.add('wikipulse-sink.wiki.en');
    cluster.delete('en');

    expect(await reconciler.reconcile('wiki', 'en')).toBe('deleting');
    expect(cluster.deployments.get('en-ingestor')?.spec?.replicas).toBe(0);
    expect(cluster.deployments.get('en-sink')?.spec?.replicas).toBe(0);
    expect(outside.topics.has('changes.en')).toBe(true);
    expect(condition(cluster.stream, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Deleting',
    });
    expect(condition(cluster.stream, 'CleanedUp')).toMatchObject({
      status: 'False',
      reason: 'StoppingPipeline',
      message: 'waiting for en-ingestor, en-sink to stop before deleting the data',
    });
    // A Deployment update that does not finish the stop changes nothing.
    const writes = cluster.statusWrites;
    expect(await reconciler.reconcile('wiki', 'en')).toBe('deleting');
    expect(cluster.statusWrites).toBe(writes);

    cluster.settle();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(cluster.stream).toBeUndefined();
    expect(outside.topics.size).toBe(0);
    expect(outside.databases.size).toBe(0);
    expect(outside.groups.size).toBe(0);
    expect(cluster.events.filter((e) => e.reason === 'StoppingPipeline')).toEqual([
      {
        type: 'Normal',
        reason: 'StoppingPipeline',
        message: 'scaled en-ingestor, en-sink to 0 replicas before deleting the data',
      },
    ]);
    expect(cluster.events.at(-1)).toEqual({
      type: 'Normal',
      reason: 'CleanedUp',
      message:
        'deleted consumer group wikipulse-sink.wiki.en, Kafka topic changes.en, ClickHouse database wikipulse_en',
    });
    expect(await reconciler.reconcile('wiki', 'en')).toBe('gone');
  });

  it('with deletionPolicy Retain keeps the topic and database and removes only the finalizer', async () => {
    const { cluster, reconciler, outside } = setup(stream('en', { deletionPolicy: 'Retain' }));
    await reconciler.reconcile('wiki', 'en');
    cluster.delete('en');
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(cluster.stream).toBeUndefined();
    expect(outside.topics.has('changes.en')).toBe(true);
    expect(outside.databases.has('wikipulse_en')).toBe(true);
    // Retain leaves the running Deployments to the garbage collector.
    expect(cluster.deployments.get('en-ingestor')?.spec?.replicas).toBe(1);
    expect(cluster.events.at(-1)).toMatchObject({ type: 'Normal', reason: 'Retained' });
  });

  it('keeps the finalizer while a cleanup step fails, says why, and finishes on a retry', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    cluster.delete('en');
    cluster.settle();
    await reconciler.reconcile('wiki', 'en');
    cluster.settle();
    outside.failing.add('dropDatabase');

    const error: unknown = await reconciler.reconcile('wiki', 'en').catch((e: unknown) => e);
    expect((error as ReconcileError).reason).toBe('DatabaseDropFailed');
    expect(cluster.stream?.metadata.finalizers).toEqual([FINALIZER]);
    expect(outside.topics.size).toBe(0);
    expect(condition(cluster.stream, 'CleanedUp')).toMatchObject({
      status: 'False',
      reason: 'DatabaseDropFailed',
      message: 'ClickHouse database wikipulse_en: broker unreachable',
    });
    expect(cluster.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'DatabaseDropFailed' });

    outside.failing.clear();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(outside.databases.size).toBe(0);
    expect(cluster.stream).toBeUndefined();
  });

  it('lets a stuck cleanup be given up by switching the deleting stream to Retain', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    cluster.delete('en');
    cluster.settle();
    await reconciler.reconcile('wiki', 'en');
    cluster.settle();
    outside.failing.add('deleteGroups');
    await expect(reconciler.reconcile('wiki', 'en')).rejects.toBeInstanceOf(ReconcileError);

    cluster.stream!.spec.deletionPolicy = 'Retain';
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(cluster.stream).toBeUndefined();
    expect(outside.topics.has('changes.en')).toBe(true);
    expect(outside.databases.has('wikipulse_en')).toBe(true);
  });

  it("refuses a stream naming another stream's topic, and lets it take the topic over once that stream is gone", async () => {
    const { cluster, reconciler, outside } = setup(
      stream('en'),
      stream('en2', { topic: 'changes.en', deletionPolicy: 'Delete' }),
    );
    await reconciler.reconcile('wiki', 'en');
    const refused: unknown = await reconciler.reconcile('wiki', 'en2').catch((e: unknown) => e);
    expect((refused as ReconcileError).reason).toBe('OwnedByAnother');
    expect(condition(cluster.streams.get('en2'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'OwnedByAnother',
      message:
        'Kafka topic changes.en: topic changes.en is owned by wiki/en, not wiki/en2; it is left unchanged',
    });
    // Refused before anything changed: no database of its own, no Deployments.
    expect(outside.databases.has('wikipulse_en2')).toBe(false);
    expect(cluster.deployments.has('en2-sink')).toBe(false);

    cluster.delete('en');
    cluster.settle();
    await reconciler.reconcile('wiki', 'en');
    cluster.settle();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(outside.topics.has('changes.en')).toBe(true);
    expect(outside.databases.has('wikipulse_en')).toBe(false);
    expect(cluster.streams.get('en2')?.status?.owned).toEqual({ topic: 'changes.en' });
    expect(cluster.events.at(-1)?.message).toContain(
      'kept Kafka topic changes.en (also used by WikiStream en2)',
    );

    expect(await reconciler.reconcile('wiki', 'en2')).toBe('reconciled');
    expect(outside.owners.get('wikipulse_en2')).toEqual({ owner: 'wiki/en2', topic: 'changes.en' });
    cluster.delete('en2');
    cluster.settle();
    await reconciler.reconcile('wiki', 'en2');
    cluster.settle();
    expect(await reconciler.reconcile('wiki', 'en2')).toBe('finalized');
    expect(outside.topics.size).toBe(0);
    expect(outside.databases.size).toBe(0);
  });

  it("refuses a stream naming another stream's database and leaves that database alone", async () => {
    const { cluster, reconciler, outside } = setup(
      stream('en'),
      stream('de', { database: 'wikipulse_en' }),
    );
    await reconciler.reconcile('wiki', 'en');
    const refused: unknown = await reconciler.reconcile('wiki', 'de').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReconcileError);
    expect(condition(cluster.streams.get('de'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'OwnedByAnother',
      message:
        'ClickHouse database wikipulse_en: database wikipulse_en is owned by wiki/en, not wiki/de; it is left unchanged',
    });
    expect(cluster.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'OwnedByAnother' });
    expect(outside.migrated).toEqual(['wikipulse_en/30']);
    expect(outside.owners.get('wikipulse_en')).toEqual({ owner: 'wiki/en', topic: 'changes.en' });
    // Its own topic is not created either: the refusal came before any change.
    expect(outside.topics.has('changes.de')).toBe(false);
  });

  it('takes over an unowned database only when its status says it created it', async () => {
    const created = stream('en');
    created.status = { owned: { database: 'wikipulse_en' } };
    const { cluster, reconciler, outside } = setup(created, stream('de', { database: 'legacy' }));
    for (const db of ['wikipulse_en', 'legacy']) {
      outside.databases.add(db);
      outside.unowned.add(db);
    }
    expect(await reconciler.reconcile('wiki', 'en')).toBe('reconciled');
    expect(outside.owners.get('wikipulse_en')).toEqual({ owner: 'wiki/en', topic: 'changes.en' });

    await expect(reconciler.reconcile('wiki', 'de')).rejects.toBeInstanceOf(ReconcileError);
    expect(condition(cluster.streams.get('de'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NotOwned',
    });
    expect(outside.owners.has('legacy')).toBe(false);
  });

  it('on deletion keeps a database recorded as its own that another owner has since taken', async () => {
    const { cluster, reconciler, outside } = setup();
    await reconciler.reconcile('wiki', 'en');
    outside.owners.set('wikipulse_en', { owner: 'release/wiki/wikipulse' });
    cluster.delete('en');
    cluster.settle();
    await reconciler.reconcile('wiki', 'en');
    cluster.settle();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('finalized');
    expect(outside.databases.has('wikipulse_en')).toBe(true);
    expect(cluster.events).toContainEqual({
      type: 'Warning',
      reason: 'OwnedByAnother',
      message:
        'ClickHouse database wikipulse_en kept: database wikipulse_en is owned by release/wiki/wikipulse, not wiki/en; it is left unchanged',
    });
  });

  it('leaves a deleting stream without its finalizer to the garbage collector', async () => {
    const { cluster, reconciler } = setup();
    cluster.delete('en');
    expect(cluster.stream).toBeUndefined();
    expect(await reconciler.reconcile('wiki', 'en')).toBe('gone');
    cluster.streams.set('en', {
      ...stream(),
      metadata: { ...stream().metadata, deletionTimestamp: new Date() },
    });
    expect(await reconciler.reconcile('wiki', 'en')).toBe('deleting');
    expect(cluster.deployments.size).toBe(0);
  });
});
