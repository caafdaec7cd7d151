import { KubeConfig } from '@kubernetes/client-node';
import { clickHouseServer, kafkaConnection } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { runMain } from '@wikipulse/lifecycle';
import { openClickHouse } from '@wikipulse/store';
import { createApp } from './app.js';
import { loadEnv } from './env.js';

await runMain({
  name: 'operator',
  load: () => loadEnv(),
  ops: true,
  create: (env, { log, registry, onClose }) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    const clickhouse = openClickHouse(clickHouseServer(env));
    onClose('clickhouse', () => clickhouse.close());
    return createApp(env, {
      kubeConfig,
      topics: new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-operator' }),
      clickhouse,
      log,
      registry,
    });
  },
});
