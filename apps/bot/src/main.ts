import { kafkaConnection } from '@wikipulse/config';
import { KafkaBus } from '@wikipulse/kafka';
import { runMain } from '@wikipulse/lifecycle';
import { createApp } from './app.js';
import { loadEnv } from './env.js';
import { openBotStore } from './store.js';

await runMain({
  name: 'bot',
  load: () => loadEnv(),
  ops: true,
  create: (env, { log, registry, onClose }) => {
    // The gateway only forwards commands: it reads no database.
    const store = env.BOT_ROLE === 'gateway' ? undefined : openBotStore(env);
    if (store) onClose('clickhouse', () => store.close());
    // Standalone needs Kafka only to deliver page watches, and only when brokers are named.
    const bus =
      env.KAFKA_BROKERS.length === 0 || env.BOT_ROLE === 'console'
        ? undefined
        : new KafkaBus({
            ...kafkaConnection(env),
            clientId: `wikipulse-bot-${env.BOT_ROLE}`,
            log,
          });
    return createApp(env, { ...(bus ? { bus } : {}), ...(store ? { store } : {}), log, registry });
  },
});
