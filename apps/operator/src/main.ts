import { KubeConfig } from '@kubernetes/client-node';
import { clickHouseServer, kafkaConnection, loadOrExit } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { Counter, createRegistry, Histogram, startOpsServer } from '@wikipulse/metrics';
import { openClickHouse } from '@wikipulse/store';
import { childSettings, loadEnv } from './env.js';
import { startOperator } from './operator.js';
import { clickHouseSchema } from './schema.js';

const env = loadOrExit(() => loadEnv());
const log = createLogger({ name: 'operator', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: 20_000 });

const registry = createRegistry('operator');
const reconciles = new Counter({
  name: 'wikipulse_operator_reconciles_total',
  help: 'Reconciles of a WikiStream, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const duration = new Histogram({
  name: 'wikipulse_operator_reconcile_seconds',
  help: 'Time to reconcile one WikiStream.',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const clickhouse = openClickHouse(clickHouseServer(env));
shutdown.add('clickhouse', () => clickhouse.close());

const operator = await startOperator({
  kubeConfig,
  namespace: env.WATCH_NAMESPACE,
  instance: env.POD_NAME,
  topics: new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-operator' }),
  schema: clickHouseSchema(clickhouse),
  settings: childSettings(env),
  log,
  onReconciled: (outcome, seconds) => {
    reconciles.inc({ outcome });
    duration.observe(seconds);
  },
});
shutdown.add('operator', () => operator.stop());

const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  readiness: { watching: () => operator.watching },
});
shutdown.add('ops server', () => ops.close());
