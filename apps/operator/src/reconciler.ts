import type { V1Deployment } from '@kubernetes/client-node';
import type { TopicSpec } from '@wikipulse/kafka';
import type { Logger } from '@wikipulse/logger';
import type { SchemaOptions } from '@wikipulse/store';
import { desiredDeployments, isAvailable, matchesDesired, type ChildSettings } from './children.js';
import { findCondition, sameConditions, setCondition } from './conditions.js';
import {
  resolveSpec,
  type Condition,
  type WikiStream,
  type WikiStreamStatus,
} from './wikistream.js';

/** The API-server calls the reconciler makes; `cluster.ts` implements them with client-node. */
export interface Cluster {
  readWikiStream(namespace: string, name: string): Promise<WikiStream | undefined>;
  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  /** Server-side apply with the operator's field manager. */
  applyDeployment(deployment: V1Deployment): Promise<V1Deployment>;
  patchStatus(stream: WikiStream, status: WikiStreamStatus): Promise<void>;
  recordEvent(stream: WikiStream, event: StreamEvent): Promise<void>;
}

export interface StreamEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Creates a stream's Kafka topic when missing (`KafkaBus` satisfies it). */
export interface Topics {
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
}

/** Brings a stream's ClickHouse database to the current schema and retention. */
export interface Schema {
  migrate(options: SchemaOptions): Promise<void>;
}

export interface ReconcilerOptions {
  cluster: Cluster;
  topics: Topics;
  schema: Schema;
  settings: ChildSettings;
  log: Logger;
  now?: () => Date;
}

export type Outcome = 'gone' | 'deleting' | 'unchanged' | 'reconciled';

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

/**
 * Brings one WikiStream's world in line with its spec: the Kafka topic, the ClickHouse schema
 * and the ingestor and sink Deployments, then reports what it did in `status`.
 *
 * `Ready` says whether the operator's own work for the current generation succeeded (the
 * reason names the step that failed); `Available` says whether the Deployments have all their
 * replicas available. Idempotent: running it twice changes nothing the second time.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #now: () => Date;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(namespace: string, name: string): Promise<Outcome> {
    const stream = await this.#o.cluster.readWikiStream(namespace, name);
    // The garbage collector removes the Deployments through their ownerReferences.
    if (!stream) return 'gone';
    if (stream.metadata.deletionTimestamp) return 'deleting';

    const generation = stream.metadata.generation ?? 0;
    const desired = desiredDeployments(stream, this.#o.settings);
    const existing = await Promise.all(
      desired.map((d) => this.#o.cluster.readDeployment(namespace, d.metadata?.name ?? '')),
    );
    const current =
      stream.status?.observedGeneration === generation &&
      findCondition(stream.status.conditions, READY)?.status === 'True' &&
      desired.every((d, i) => matchesDesired(existing[i], d));
    if (current) {
      await this.#report(
        stream,
        undefined,
        existing.filter((d) => d !== undefined),
      );
      return 'unchanged';
    }

    const log = this.#o.log.child({ namespace, name, generation });
    const spec = resolveSpec(stream.spec);
    await this.#step(stream, 'TopicFailed', `Kafka topic ${spec.topic}`, () =>
      this.#o.topics.ensureTopics([{ topic: spec.topic, partitions: spec.partitions }]),
    );
    await this.#step(stream, 'SchemaFailed', `ClickHouse database ${spec.database}`, () =>
      this.#o.schema.migrate({ database: spec.database, retentionDays: spec.retentionDays }),
    );
    const applied = await this.#step(stream, 'ApplyFailed', 'Deployments', () =>
      Promise.all(desired.map((d) => this.#o.cluster.applyDeployment(d))),
    );
    await this.#report(
      stream,
      { status: 'True', reason: 'Reconciled', message: `generation ${generation} applied` },
      applied,
    );
    await this.#o.cluster.recordEvent(stream, {
      type: 'Normal',
      reason: 'Reconciled',
      message: `topic ${spec.topic}, database ${spec.database}, ${applied.length} Deployments applied for generation ${generation}`,
    });
    log.info({ topic: spec.topic, database: spec.database }, 'reconciled');
    return 'reconciled';
  }

  async #step<T>(stream: WikiStream, reason: string, what: string, run: () => Promise<T>) {
    try {
      return await run();
    } catch (error) {
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      await this.#report(stream, { status: 'False', reason, message }, undefined);
      await this.#o.cluster.recordEvent(stream, { type: 'Warning', reason, message });
      throw new ReconcileError(reason, message, { cause: error });
    }
  }

  /**
   * Writes the conditions when they changed. Without `ready`, the Ready condition stays as it
   * is; without `deployments`, so does Available.
   */
  async #report(
    stream: WikiStream,
    ready: { status: 'True' | 'False'; reason: string; message: string } | undefined,
    deployments: readonly V1Deployment[] | undefined,
  ): Promise<void> {
    const generation = stream.metadata.generation ?? 0;
    const before: Condition[] = stream.status?.conditions ?? [];
    let conditions = before;
    const now = this.#now();
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
