import type { V1Deployment } from '@kubernetes/client-node';
import { sinkGroupId } from './children.js';
import { DEFAULTS, type OwnedState, type WikiStream } from './wikistream.js';

/**
 * The operator's finalizer: while a WikiStream carries it, the API server keeps the object after
 * a delete request until the operator has cleaned up (or, with `Retain`, let go of) the outside
 * state it created, even when the operator is not running at the time of the delete.
 */
export const FINALIZER = 'wikipulse.io/cleanup';

export function hasFinalizer(stream: WikiStream): boolean {
  return stream.metadata.finalizers?.includes(FINALIZER) ?? false;
}

export function withFinalizer(finalizers: readonly string[] | undefined): string[] {
  const list = finalizers ?? [];
  return list.includes(FINALIZER) ? [...list] : [...list, FINALIZER];
}

export function withoutFinalizer(finalizers: readonly string[] | undefined): string[] {
  return (finalizers ?? []).filter((f) => f !== FINALIZER);
}

export type OutsideKind = 'topic' | 'database';

/** A piece of outside state the deletion leaves in place, and why. */
export interface Kept {
  kind: OutsideKind;
  name: string;
  reason: string;
}

/** Ownership passed to a remaining WikiStream that uses the same topic or database. */
export interface HandOver {
  to: string;
  owned: OwnedState;
}

export interface CleanupPlan {
  /** The sink's consumer group: its name comes from the stream's identity, so only it uses it. */
  group?: string;
  topic?: string;
  database?: string;
  kept: Kept[];
  handOver: HandOver[];
}

/**
 * A WikiStream that will still be cleaned up by the operator, and so still counts as a user of
 * its topic and database: one not being deleted, or being deleted with the finalizer on it.
 */
function stillManaged(stream: WikiStream): boolean {
  return !stream.metadata.deletionTimestamp || hasFinalizer(stream);
}

const LABEL: Record<OutsideKind, string> = {
  topic: 'Kafka topic',
  database: 'ClickHouse database',
};

export function describeOutside(kind: OutsideKind, name: string): string {
  return `${LABEL[kind]} ${name}`;
}

/**
 * Decides what deleting `stream` removes; `others` are the other WikiStreams of the namespace.
 *
 * - `Retain` removes nothing.
 * - `Delete` removes the sink's consumer group, and the topic and the database recorded in
 *   `status.owned` (those the operator created for this stream), except one that another
 *   WikiStream still uses: that one stays, and its ownership passes to the first such stream
 *   (by name), so whichever of them is deleted last removes it.
 * - A topic or database the operator did not create (it existed before) is never removed.
 */
export function planCleanup(stream: WikiStream, others: readonly WikiStream[]): CleanupPlan {
  const policy = stream.spec.deletionPolicy ?? DEFAULTS.deletionPolicy;
  const plan: CleanupPlan = { kept: [], handOver: [] };
  const used: Record<OutsideKind, string> = {
    topic: stream.spec.kafka.topic,
    database: stream.spec.clickhouse.database,
  };
  if (policy === 'Retain') {
    for (const kind of ['topic', 'database'] as const) {
      plan.kept.push({ kind, name: used[kind], reason: 'deletionPolicy is Retain' });
    }
    return plan;
  }

  plan.group = sinkGroupId(stream);
  const owned = stream.status?.owned ?? {};
  const remaining = others
    .filter((o) => o.metadata.uid !== stream.metadata.uid && stillManaged(o))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const usedBy: Record<OutsideKind, (o: WikiStream) => string> = {
    topic: (o) => o.spec.kafka.topic,
    database: (o) => o.spec.clickhouse.database,
  };
  for (const kind of ['topic', 'database'] as const) {
    const mine = owned[kind];
    if (used[kind] !== mine) {
      plan.kept.push({ kind, name: used[kind], reason: 'not created by this WikiStream' });
    }
    if (mine === undefined) continue;
    const sharing = remaining.filter((o) => usedBy[kind](o) === mine);
    const heir = sharing[0];
    if (heir) {
      const names = sharing.map((o) => o.metadata.name).join(', ');
      plan.kept.push({ kind, name: mine, reason: `also used by WikiStream ${names}` });
      const entry = plan.handOver.find((h) => h.to === heir.metadata.name);
      if (entry) entry.owned[kind] = mine;
      else plan.handOver.push({ to: heir.metadata.name, owned: { [kind]: mine } });
    } else {
      plan[kind] = mine;
    }
  }
  return plan;
}

/** One line for an Event: what the deletion removed and what it kept. */
export function summarise(plan: CleanupPlan): string {
  const removed = [
    ...(plan.group ? [`consumer group ${plan.group}`] : []),
    ...(plan.topic ? [describeOutside('topic', plan.topic)] : []),
    ...(plan.database ? [describeOutside('database', plan.database)] : []),
  ];
  const kept = plan.kept.map((k) => `${describeOutside(k.kind, k.name)} (${k.reason})`);
  return [
    removed.length > 0 ? `deleted ${removed.join(', ')}` : 'deleted nothing outside Kubernetes',
    ...(kept.length > 0 ? [`kept ${kept.join(', ')}`] : []),
  ].join('; ');
}

/**
 * True once a Deployment runs no pod: scaled to zero, that spec seen by its controller, and no
 * pod left, not even a terminating one (an ingestor still flushing could re-create a deleted
 * topic on a broker that creates topics on first write).
 */
export function stopped(deployment: V1Deployment): boolean {
  const status = deployment.status;
  return (
    deployment.spec?.replicas === 0 &&
    (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (status?.replicas ?? 0) === 0 &&
    (status?.terminatingReplicas ?? 0) === 0
  );
}
