import type { KubeConfig } from '@kubernetes/client-node';
import type { App, Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { Counter, Histogram, type ReadinessCheck, type Registry } from '@wikipulse/metrics';
import type { ClickHouseClient } from '@wikipulse/store';
import { childSettings, type OperatorEnv } from './env.js';
import { startOperator, type Operator } from './operator.js';
import type { Topics } from './reconciler.js';
import { clickHouseSchema } from './schema.js';

export interface OperatorDeps {
  /** The API server the operator watches and writes. */
  kubeConfig: KubeConfig;
  /** Kafka, where each stream's topics are created and deleted. */
  topics: Topics;
  /** ClickHouse, where each stream's database is migrated; closed by whoever opened it. */
  clickhouse: ClickHouseClient;
  log: Logger;
  registry: Registry;
  /** The time of day the operator lives in (conditions, Events); the system clock by default. */
  clock?: Clock;
}

export interface OperatorApp extends App {
  readonly readiness: Record<string, ReadinessCheck>;
}

/** The operator: `start` lists and watches the WikiStreams of its namespace and reconciles them. */
export function createApp(env: OperatorEnv, deps: OperatorDeps): OperatorApp {
  const reconciles = new Counter({
    name: 'wikipulse_operator_reconciles_total',
    help: 'Reconciles of a WikiStream, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [deps.registry],
  });
  const duration = new Histogram({
    name: 'wikipulse_operator_reconcile_seconds',
    help: 'Time to reconcile one WikiStream.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [deps.registry],
  });
  let operator: Operator | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;
  return {
    readiness: { watching: () => operator?.watching ?? false },
    start: () =>
      (starting ??= (async () => {
        const started = await startOperator({
          kubeConfig: deps.kubeConfig,
          namespace: env.WATCH_NAMESPACE,
          instance: env.POD_NAME,
          topics: deps.topics,
          schema: clickHouseSchema(deps.clickhouse),
          settings: childSettings(env),
          log: deps.log,
          ...(deps.clock ? { clock: deps.clock } : {}),
          onReconciled: (outcome, seconds) => {
            reconciles.inc({ outcome });
            duration.observe(seconds);
          },
        });
        if (closed) await started.stop();
        else operator = started;
      })()),
    close: async () => {
      closed = true;
      await starting?.catch(() => undefined);
      await operator?.stop();
    },
  };
}
