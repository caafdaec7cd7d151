import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  FINALIZER,
  hasFinalizer,
  planCleanup,
  stopped,
  summarise,
  withFinalizer,
  withoutFinalizer,
} from './cleanup.js';
import type { DeletionPolicy, OwnedState, WikiStream } from './wikistream.js';

function stream(
  name: string,
  options: {
    topic?: string;
    database?: string;
    owned?: OwnedState;
    policy?: DeletionPolicy;
    deleting?: boolean;
    finalizer?: boolean;
  } = {},
): WikiStream {
  return {
    apiVersion: 'wikipulse.io/v1alpha1',
    kind: 'WikiStream',
    metadata: {
      name,
      namespace: 'wiki',
      uid: `uid-${name}`,
      ...(options.finalizer === false ? {} : { finalizers: [FINALIZER] }),
      ...(options.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: {
      source: { url: 'https://stream.example.test/rc' },
      kafka: { topic: options.topic ?? `changes.${name}` },
      clickhouse: { database: options.database ?? `wikipulse_${name}` },
      ...(options.policy ? { deletionPolicy: options.policy } : {}),
    },
    ...(options.owned ? { status: { owned: options.owned } } : {}),
  };
}

const ownsAll = { topic: 'changes.en', database: 'wikipulse_en' };

describe('the finalizer list', () => {
  it('is added once and removed without touching other finalizers', () => {
    expect(withFinalizer(undefined)).toEqual([FINALIZER]);
    expect(withFinalizer(['other.io/x'])).toEqual(['other.io/x', FINALIZER]);
    expect(withFinalizer([FINALIZER, 'other.io/x'])).toEqual([FINALIZER, 'other.io/x']);
    expect(withoutFinalizer(['other.io/x', FINALIZER])).toEqual(['other.io/x']);
    expect(withoutFinalizer(undefined)).toEqual([]);
    expect(hasFinalizer(stream('en'))).toBe(true);
    expect(hasFinalizer(stream('en', { finalizer: false }))).toBe(false);
  });
});

describe('planCleanup', () => {
  it('deletes, by default, the consumer group and the topic and database the stream created', () => {
    const plan = planCleanup(stream('en', { owned: ownsAll }), []);
    expect(plan).toEqual({
      group: 'wikipulse-sink.wiki.en',
      topic: 'changes.en',
      database: 'wikipulse_en',
      kept: [],
      handOver: [],
    });
    expect(summarise(plan)).toBe(
      'deleted consumer group wikipulse-sink.wiki.en, Kafka topic changes.en, ClickHouse database wikipulse_en',
    );
  });

  it('keeps everything with deletionPolicy Retain', () => {
    const plan = planCleanup(stream('en', { owned: ownsAll, policy: 'Retain' }), []);
    expect(plan.group).toBeUndefined();
    expect(plan.topic).toBeUndefined();
    expect(plan.database).toBeUndefined();
    expect(plan.kept.map((k) => `${k.kind} ${k.name}: ${k.reason}`)).toEqual([
      'topic changes.en: deletionPolicy is Retain',
      'database wikipulse_en: deletionPolicy is Retain',
    ]);
    expect(summarise(plan)).toBe(
      'deleted nothing outside Kubernetes; kept Kafka topic changes.en (deletionPolicy is Retain), ClickHouse database wikipulse_en (deletionPolicy is Retain)',
    );
  });

  it('never deletes a topic or database the operator found already there', () => {
    const plan = planCleanup(stream('en', { owned: { database: 'wikipulse_en' } }), []);
    expect(plan.topic).toBeUndefined();
    expect(plan.database).toBe('wikipulse_en');
    expect(plan.group).toBe('wikipulse-sink.wiki.en');
    expect(plan.kept).toEqual([
      { kind: 'topic', name: 'changes.en', reason: 'not created by this WikiStream' },
    ]);
  });

  it('keeps what another stream uses and hands its ownership to the first of them by name', () => {
    const en = stream('en', { owned: ownsAll });
    const others = [
      en,
      stream('zz', { topic: 'changes.en', database: 'wikipulse_en' }),
      stream('de', { database: 'wikipulse_en' }),
      stream('fr'),
    ];
    const plan = planCleanup(en, others);
    expect(plan.topic).toBeUndefined();
    expect(plan.database).toBeUndefined();
    expect(plan.kept).toEqual([
      { kind: 'topic', name: 'changes.en', reason: 'also used by WikiStream zz' },
      { kind: 'database', name: 'wikipulse_en', reason: 'also used by WikiStream de, zz' },
    ]);
    expect(plan.handOver).toEqual([
      { to: 'zz', owned: { topic: 'changes.en' } },
      { to: 'de', owned: { database: 'wikipulse_en' } },
    ]);
  });

  it('hands both to one heir in one entry', () => {
    const en = stream('en', { owned: ownsAll });
    const plan = planCleanup(en, [stream('de', { topic: 'changes.en', database: 'wikipulse_en' })]);
    expect(plan.handOver).toEqual([{ to: 'de', owned: ownsAll }]);
  });

  it('still counts a stream being deleted that carries the finalizer, not one without it', () => {
    const en = stream('en', { owned: ownsAll });
    const finalizing = stream('de', { topic: 'changes.en', deleting: true });
    const leaving = stream('fr', { database: 'wikipulse_en', deleting: true, finalizer: false });
    const plan = planCleanup(en, [finalizing, leaving]);
    expect(plan.topic).toBeUndefined();
    expect(plan.handOver).toEqual([{ to: 'de', owned: { topic: 'changes.en' } }]);
    expect(plan.database).toBe('wikipulse_en');
  });
});

describe('stopped', () => {
  const deployment = (
    replicas: number,
    status: V1Deployment['status'],
    generation = 2,
  ): V1Deployment => ({
    metadata: { name: 'en-ingestor', generation },
    spec: { replicas, selector: {}, template: {} },
    ...(status ? { status } : {}),
  });

  it('is true only once scaled to zero, observed, and with no pod left', () => {
    expect(stopped(deployment(0, { observedGeneration: 2, replicas: 0 }))).toBe(true);
    expect(stopped(deployment(0, { observedGeneration: 2 }))).toBe(true);
    expect(stopped(deployment(1, { observedGeneration: 2, replicas: 0 }))).toBe(false);
    expect(stopped(deployment(0, { observedGeneration: 1, replicas: 0 }))).toBe(false);
    expect(stopped(deployment(0, { observedGeneration: 2, replicas: 1 }))).toBe(false);
    expect(
      stopped(deployment(0, { observedGeneration: 2, replicas: 0, terminatingReplicas: 1 })),
    ).toBe(false);
    expect(stopped(deployment(0, undefined))).toBe(false);
  });
});
