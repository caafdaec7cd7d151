import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { TopicSpec } from '@wikipulse/kafka';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { OwnershipError, type MigrateOptions, type Ownership } from '@wikipulse/store';
import {
  desiredChildren,
  desiredDeployments,
  isAvailable,
  OPTIONAL_CHILDREN,
  ownedBy,
  type ChildSettings,
  type OptionalChild,
} from './children.js';
import {
  describeOutside,
  hasFinalizer,
  planCleanup,
  stopped,
  summarise,
  withFinalizer,
  withoutFinalizer,
} from './cleanup.js';
import { findCondition, sameConditions, setCondition } from './conditions.js';
import {
  resolveSpec,
  type Condition,
  type OwnedState,
  type WikiStream,
  type WikiStreamStatus,
} from './wikistream.js';

/** The API-server calls the reconciler makes; `cluster.ts` implements them with client-node. */
export interface Cluster {
  readWikiStream(namespace: string, name: string): Promise<WikiStream | undefined>;
  listWikiStreams(namespace: string): Promise<WikiStream[]>;
  /**
   * Replaces `metadata.finalizers`, on the condition that the object is still at the stream's
   * `resourceVersion` (a conflict fails, and the queue retries with a fresh read).
   */
  setFinalizers(stream: WikiStream, finalizers: readonly string[]): Promise<WikiStream>;
  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  /**
   * Server-side apply of the whole object with the operator's field manager, forced: a field
   * someone else changed is set back.
   */
  apply<T extends KubernetesObject>(object: T): Promise<T>;
  /** Whether the API server serves ServiceMonitors (monitoring.coreos.com/v1). */
  servesServiceMonitors(): Promise<boolean>;
  /** The objects of a kind in a namespace that carry the labels. */
  listChildren(
    namespace: string,
    kind: OptionalChild,
    labels: Record<string, string>,
  ): Promise<KubernetesObject[]>;
  /** Deletes an object; a missing one is not an error. */
  deleteChild(object: KubernetesObject): Promise<void>;
  /** A merge patch: fields left out of `status` keep their value. */
  patchStatus(stream: WikiStream, status: WikiStreamStatus): Promise<void>;
  recordEvent(stream: WikiStream, event: StreamEvent): Promise<void>;
}

export interface StreamEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** A stream's Kafka topic and the sink's consumer group (`KafkaBus` satisfies it). */
export interface Topics {
  /** Creates the missing topics; resolves to the names it created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<readonly string[]>;
  /** Deletes the topics that exist; a missing one is not an error. */
  deleteTopics(topics: readonly string[]): Promise<readonly string[]>;
  /** Deletes consumer groups; a missing one is not an error, one with members is. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
}

/**
 * A stream's ClickHouse database, and the ownership of it and of the stream's topic, recorded
 * on the database (`ownership.ts` of `@wikipulse/store`). Owners are `<namespace>/<name>`. A
 * call refused for ownership rejects with an `OwnershipError`.
 */
export interface Schema {
  /**
   * Brings the database to the current schema and retention on behalf of `owner`, recording
   * `topic` with it; says whether it created it. A database owned by another is left unchanged.
   */
  migrate(options: MigrateOptions): Promise<{ createdDatabase: boolean }>;
  /** The owner recorded for a Kafka topic, if any. */
  topicOwner(topic: string): Promise<string | undefined>;
  /** Hands the database from one owner to another, recording the new owner's topic. */
  transferDatabase(database: string, from: string, to: Ownership): Promise<void>;
  /** Drops the database with its tables when it exists and `owner` owns it. */
  dropDatabase(database: string, owner: string): Promise<void>;
}

/** The owner a WikiStream is recorded as on its database (and so its topic). */
export function streamOwner(stream: WikiStream): string {
  return `${stream.metadata.namespace}/${stream.metadata.name}`;
}

/** Refuses a topic whose recorded owner is another. */
async function checkTopicOwner(schema: Schema, topic: string, owner: string): Promise<void> {
  const recorded = await schema.topicOwner(topic);
  if (recorded === undefined || recorded === owner) return;
  throw new OwnershipError(
    'OwnedByAnother',
    `topic ${topic} is owned by ${recorded}, not ${owner}; it is left unchanged`,
    recorded,
  );
}

export interface ReconcilerOptions {
  cluster: Cluster;
  topics: Topics;
  schema: Schema;
  settings: ChildSettings;
  log: Logger;
  /** The time conditions change at; the system clock by default. */
  clock?: Clock;
}

/**
 * `deleting`: a deletion waits for something (the pipeline's pods to stop, or another party's
 * finalizer); `finalized`: the operator's cleanup is done and its finalizer removed;
 * `resynced`: the generation was already reconciled, and only its children were applied again.
 */
export type Outcome = 'gone' | 'deleting' | 'finalized' | 'resynced' | 'reconciled';

function deployments(objects: readonly KubernetesObject[]): V1Deployment[] {
  return objects.filter((o): o is V1Deployment => o.kind === 'Deployment');
}

/** Raised after a failed step has been reported in the status, so the queue retries it. */
export class ReconcileError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ReconcileError';
  }
}

export const READY = 'Ready';
export const AVAILABLE = 'Available';
/** Only on a stream being deleted: False with the reason while the cleanup waits or fails. */
export const CLEANED_UP = 'CleanedUp';

type ConditionChange = { status: 'True' | 'False'; reason: string; message: string };

/**
 * A step refused because another owner holds the topic or database: the condition's reason is
 * the refusal (`OwnedByAnother`, `NotOwned`) rather than the step, and its message names the owner.
 */
function refusal(error: unknown): string | undefined {
  return error instanceof OwnershipError ? error.reason : undefined;
}

/**
 * Brings one WikiStream's world in line with its spec: the Kafka topic and the ClickHouse
 * schema once per generation (ownership checked first), and on every run the whole desired
 * state of every child (the ingestor and sink Deployments, Services, budgets, policies, the
 * ingestor's identity), then reports what it did in `status`.
 *
 * `Ready` says whether the operator's own work for the current generation succeeded (the
 * reason names the step that failed); `Available` says whether the Deployments have all their
 * replicas available. Idempotent: running it twice changes nothing the second time.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #clock: Clock;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  async reconcile(namespace: string, name: string): Promise<Outcome> {
    let stream = await this.#o.cluster.readWikiStream(namespace, name);
    // The garbage collector removes the Deployments through their ownerReferences.
    if (!stream) return 'gone';
    if (stream.metadata.deletionTimestamp) {
      return hasFinalizer(stream) ? this.#finalize(stream) : 'deleting';
    }
    if (!hasFinalizer(stream)) {
      // Before any outside state exists, so none can outlive the stream unnoticed.
      stream = await this.#o.cluster.setFinalizers(
        stream,
        withFinalizer(stream.metadata.finalizers),
      );
    }

    const generation = stream.metadata.generation ?? 0;
    const current =
      stream.status?.observedGeneration === generation &&
      findCondition(stream.status.conditions, READY)?.status === 'True';
    if (current) {
      const applied = await this.#applyChildren(stream);
      await this.#report(stream, undefined, deployments(applied));
      return 'resynced';
    }

    const log = this.#o.log.child({ namespace, name, generation });
    const spec = resolveSpec(stream.spec);
    // Ownership first, before anything changes: the topic's recorded owner, then the database's
    // (claimed, or refused, by the migration), and only then the topic is created.
    const owner = streamOwner(stream);
    await this.#step(stream, 'TopicFailed', `Kafka topic ${spec.topic}`, () =>
      checkTopicOwner(this.#o.schema, spec.topic, owner),
    );
    const schema = await this.#step(
      stream,
      'SchemaFailed',
      `ClickHouse database ${spec.database}`,
      () =>
        this.#o.schema.migrate({
          database: spec.database,
          retentionDays: spec.retentionDays,
          owner,
          topic: spec.topic,
          // A database this stream created before owners were written on databases: its
          // status says so, and it is taken over; any other unowned one is refused.
          adoptUnowned: stream.status?.owned?.database === spec.database,
        }),
    );
    if (schema.createdDatabase) await this.#own(stream, { database: spec.database });
    const created = await this.#step(stream, 'TopicFailed', `Kafka topic ${spec.topic}`, () =>
      this.#o.topics.ensureTopics([{ topic: spec.topic, partitions: spec.partitions }]),
    );
    if (created.includes(spec.topic)) await this.#own(stream, { topic: spec.topic });
    const applied = deployments(await this.#applyChildren(stream));
    await this.#report(
      stream,
      { status: 'True', reason: 'Reconciled', message: `generation ${generation} applied` },
      applied,
    );
    await this.#o.cluster.recordEvent(stream, {
      type: 'Normal',
      reason: 'Reconciled',
      message: `topic ${spec.topic}, database ${spec.database}, ingestor and sink applied for generation ${generation}`,
    });
    log.info({ topic: spec.topic, database: spec.database }, 'reconciled');
    return 'reconciled';
  }

  /**
   * Applies every child whole, every time: an apply that changes nothing is a no-op on the API
   * server, and any field that drifted (a hand edit, or the operator's own settings changed
   * since) is set back.
   */
  async #applyChildren(stream: WikiStream): Promise<KubernetesObject[]> {
    return this.#step(stream, 'ApplyFailed', 'applying the children', async () => {
      const features = { serviceMonitors: await this.#o.cluster.servesServiceMonitors() };
      const desired = desiredChildren(stream, this.#o.settings, features);
      const applied: KubernetesObject[] = [];
      for (const child of desired) applied.push(await this.#o.cluster.apply(child));
      await this.#prune(stream, desired, features.serviceMonitors);
      return applied;
    });
  }

  /**
   * Deletes the stream's budgets, policies and monitors the settings no longer ask for (a budget
   * or the policies turned off); the other children are always wanted.
   */
  async #prune(
    stream: WikiStream,
    desired: readonly KubernetesObject[],
    serviceMonitors: boolean,
  ): Promise<void> {
    const wanted = new Set(desired.map((o) => `${o.kind}/${o.metadata?.name}`));
    for (const kind of OPTIONAL_CHILDREN) {
      if (kind === 'ServiceMonitor' && !serviceMonitors) continue;
      const found = await this.#o.cluster.listChildren(
        stream.metadata.namespace,
        kind,
        ownedBy(stream),
      );
      for (const child of found) {
        const owner = child.metadata?.ownerReferences?.find((ref) => ref.controller);
        if (owner?.uid !== stream.metadata.uid || wanted.has(`${kind}/${child.metadata?.name}`)) {
          continue;
        }
        await this.#o.cluster.deleteChild(child);
      }
    }
  }

  /**
   * Deletes what the stream owns outside Kubernetes (policy `Delete`) or lets go of it
   * (`Retain`), then removes the finalizer. Every step is idempotent, so a run that failed half
   * way is simply run again; a failure keeps the finalizer and is reported in the `CleanedUp`
   * condition and a Warning Event, and the queue retries with backoff.
   */
  async #finalize(stream: WikiStream): Promise<Outcome> {
    const { namespace, name } = stream.metadata;
    const log = this.#o.log.child({ namespace, name });
    if (resolveSpec(stream.spec).deletionPolicy === 'Delete') {
      const running = await this.#cleanupStep(
        stream,
        'StopFailed',
        'stopping the ingestor and sink',
        () => this.#stopPipeline(stream),
      );
      if (running.length > 0) {
        // The Deployments' status updates bring the stream back to the queue.
        await this.#reportCleanup(stream, {
          status: 'False',
          reason: 'StoppingPipeline',
          message: `waiting for ${running.join(', ')} to stop before deleting the data`,
        });
        return 'deleting';
      }
    }

    const others = await this.#cleanupStep(stream, 'ListFailed', 'listing WikiStreams', () =>
      this.#o.cluster.listWikiStreams(namespace),
    );
    const plan = planCleanup(stream, others);
    for (const handOver of plan.handOver) {
      const heir = others.find((o) => o.metadata.name === handOver.to);
      if (!heir) continue;
      const database = handOver.owned.database;
      if (database !== undefined) {
        const what = describeOutside('database', database);
        await this.#cleanupStep(stream, 'HandOverFailed', what, () =>
          this.#unlessOwnedByAnother(stream, what, () =>
            this.#o.schema.transferDatabase(database, streamOwner(stream), {
              owner: streamOwner(heir),
              topic: heir.spec.kafka.topic,
            }),
          ),
        );
      }
      await this.#cleanupStep(stream, 'HandOverFailed', `WikiStream ${handOver.to}`, () =>
        this.#o.cluster.patchStatus(heir, { owned: handOver.owned }),
      );
    }
    const { group, topic, database } = plan;
    if (group) {
      await this.#cleanupStep(stream, 'GroupDeleteFailed', `consumer group ${group}`, () =>
        this.#o.topics.deleteGroups([group]),
      );
    }
    if (topic) {
      const what = describeOutside('topic', topic);
      await this.#cleanupStep(stream, 'TopicDeleteFailed', what, () =>
        this.#unlessOwnedByAnother(stream, what, async () => {
          await checkTopicOwner(this.#o.schema, topic, streamOwner(stream));
          await this.#o.topics.deleteTopics([topic]);
        }),
      );
    }
    if (database) {
      const what = describeOutside('database', database);
      await this.#cleanupStep(stream, 'DatabaseDropFailed', what, () =>
        this.#unlessOwnedByAnother(stream, what, () =>
          this.#o.schema.dropDatabase(database, streamOwner(stream)),
        ),
      );
    }

    const summary = summarise(plan);
    await this.#o.cluster.recordEvent(stream, {
      type: 'Normal',
      reason: plan.group ? 'CleanedUp' : 'Retained',
      message: summary,
    });
    // A fresh read: the status writes above moved the resourceVersion on.
    const current = await this.#o.cluster.readWikiStream(namespace, name);
    if (current && hasFinalizer(current)) {
      await this.#o.cluster.setFinalizers(current, withoutFinalizer(current.metadata.finalizers));
    }
    log.info({ summary }, 'finalized');
    return 'finalized';
  }

  /** Scales the stream's own Deployments to zero; resolves to those still running pods. */
  async #stopPipeline(stream: WikiStream): Promise<string[]> {
    const running: string[] = [];
    const scaled: string[] = [];
    for (const desired of desiredDeployments(stream, this.#o.settings)) {
      const name = desired.metadata?.name ?? '';
      const existing = await this.#o.cluster.readDeployment(stream.metadata.namespace, name);
      const owner = existing?.metadata?.ownerReferences?.find((ref) => ref.controller);
      if (!existing || owner?.uid !== stream.metadata.uid) continue;
      let current = existing;
      if (existing.spec?.replicas !== 0) {
        // The whole desired object: an apply that left fields out would drop them.
        current = await this.#o.cluster.apply({
          ...desired,
          spec: { ...desired.spec!, replicas: 0 },
        });
        scaled.push(name);
      }
      if (!stopped(current)) running.push(name);
    }
    if (scaled.length > 0) {
      await this.#o.cluster.recordEvent(stream, {
        type: 'Normal',
        reason: 'StoppingPipeline',
        message: `scaled ${scaled.join(', ')} to 0 replicas before deleting the data`,
      });
    }
    return running;
  }

  /** Records outside state the operator created for the stream, the moment it exists. */
  async #own(stream: WikiStream, owned: OwnedState): Promise<void> {
    const before = stream.status?.owned ?? {};
    const next = { ...before, ...owned };
    if (next.topic === before.topic && next.database === before.database) return;
    await this.#o.cluster.patchStatus(stream, { owned: next });
    stream.status = { ...stream.status, owned: next };
  }

  /**
   * A deletion never removes what another owner holds: a refusal leaves it in place with a
   * Warning Event naming the owner, and the cleanup goes on, so the stream can still go.
   */
  async #unlessOwnedByAnother(stream: WikiStream, what: string, run: () => Promise<void>) {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof OwnershipError)) throw error;
      await this.#o.cluster.recordEvent(stream, {
        type: 'Warning',
        reason: error.reason,
        message: `${what} kept: ${error.message}`,
      });
    }
  }

  async #step<T>(stream: WikiStream, step: string, what: string, run: () => Promise<T>) {
    try {
      return await run();
    } catch (error) {
      const reason = refusal(error) ?? step;
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      await this.#report(stream, { status: 'False', reason, message }, undefined);
      await this.#o.cluster.recordEvent(stream, { type: 'Warning', reason, message });
      throw new ReconcileError(reason, message, { cause: error });
    }
  }

  async #cleanupStep<T>(stream: WikiStream, step: string, what: string, run: () => Promise<T>) {
    try {
      return await run();
    } catch (error) {
      const reason = refusal(error) ?? step;
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      await this.#reportCleanup(stream, { status: 'False', reason, message });
      await this.#o.cluster.recordEvent(stream, { type: 'Warning', reason, message });
      throw new ReconcileError(reason, message, { cause: error });
    }
  }

  /** While a stream is being deleted it is not Ready, and `CleanedUp` says what holds it. */
  async #reportCleanup(stream: WikiStream, cleanup: ConditionChange): Promise<void> {
    const generation = stream.metadata.generation ?? 0;
    const before: Condition[] = stream.status?.conditions ?? [];
    const now = this.#clock();
    let conditions = setCondition(
      before,
      {
        type: READY,
        status: 'False',
        reason: 'Deleting',
        message: 'the WikiStream is being deleted',
        observedGeneration: generation,
      },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: CLEANED_UP, observedGeneration: generation, ...cleanup },
      now,
    );
    if (sameConditions(before, conditions)) return;
    await this.#o.cluster.patchStatus(stream, { conditions });
    stream.status = { ...stream.status, conditions };
  }

  /**
   * Writes the conditions when they changed. Without `ready`, the Ready condition stays as it
   * is; without `deployments`, so does Available.
   */
  async #report(
    stream: WikiStream,
    ready: ConditionChange | undefined,
    deployments: readonly V1Deployment[] | undefined,
  ): Promise<void> {
    const generation = stream.metadata.generation ?? 0;
    const before: Condition[] = stream.status?.conditions ?? [];
    let conditions = before;
    const now = this.#clock();
    if (ready) {
      conditions = setCondition(
        conditions,
        { type: READY, observedGeneration: generation, ...ready },
        now,
      );
    }
    if (deployments) {
      const waiting = deployments.filter((d) => !isAvailable(d)).map((d) => d.metadata?.name);
      conditions = setCondition(
        conditions,
        waiting.length === 0
          ? {
              type: AVAILABLE,
              status: 'True',
              reason: 'DeploymentsAvailable',
              message: 'every replica is available',
              observedGeneration: generation,
            }
          : {
              type: AVAILABLE,
              status: 'False',
              reason: 'DeploymentsProgressing',
              message: `waiting for ${waiting.join(', ')}`,
              observedGeneration: generation,
            },
        now,
      );
    }
    const observedGeneration =
      ready?.status === 'True' ? generation : stream.status?.observedGeneration;
    if (
      sameConditions(before, conditions) &&
      observedGeneration === stream.status?.observedGeneration
    ) {
      return;
    }
    await this.#o.cluster.patchStatus(stream, {
      conditions,
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    });
  }
}
