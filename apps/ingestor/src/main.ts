#!/usr/bin/env node
import { kafkaConnection } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { runMain } from '@wikipulse/lifecycle';
import { createApp } from './app.js';
import { loadEnv } from './env.js';
import { createElector } from './leadership.js';

await runMain({
  name: 'ingestor',
  load: () => loadEnv(),
  ops: true,
  create: async (env, { log, registry, fail }) => {
    const leadership = await createElector(env, log, (reason) => {
      // Fencing: another replica may take the lease within seconds, so nothing more may be
      // written. A graceful stop would drain the batches in flight; ending at once is a crash,
      // which the next leader recovers from exactly (checkpoint and the topic's tail).
      log.fatal({ reason }, 'lost the lease; exiting at once');
      process.exit(1);
    });
    log.info({ output: env.OUTPUT }, 'starting');
    return createApp(env, {
      ...(env.OUTPUT === 'kafka'
        ? {
            bus: new KafkaBus({
              ...kafkaConnection(env),
              clientId: env.KAFKA_CLIENT_ID,
              log: log.child({ component: 'kafka' }),
            }),
          }
        : {}),
      log,
      registry,
      ...(leadership ? { leadership } : {}),
      onFatal: () => fail('output failed'),
    });
  },
});
