import { clickHouseTarget, kafkaConnection } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { runMain } from '@wikipulse/lifecycle';
import { openClickHouse } from '@wikipulse/store';
import { createApp } from './app.js';
import { loadEnv } from './env.js';

await runMain({
  name: 'sink',
  load: () => loadEnv(),
  ops: true,
  create: (env, { log, registry, onClose, fail }) => {
    const clickhouse = openClickHouse(clickHouseTarget(env, env.clickhousePath));
    onClose('clickhouse', () => clickhouse.close());
    return createApp(env, {
      bus: new KafkaBus({ ...kafkaConnection(env), clientId: 'wikipulse-sink', log }),
      clickhouse,
      log,
      registry,
      onFatal: () => fail('sink failed'),
    });
  },
});
