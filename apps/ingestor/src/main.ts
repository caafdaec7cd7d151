#!/usr/bin/env node
import { loadOrExit } from '@wikipulse/config';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry, startOpsServer } from '@wikipulse/metrics';
import { createIngestorApp } from './app.js';
import { loadEnv } from './env.js';

const env = loadOrExit(() => loadEnv());

const log = createLogger({ name: 'ingestor', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: env.SHUTDOWN_DEADLINE_MS });
const registry = createRegistry('ingestor');

const app = await createIngestorApp(env, log, registry, (error) => {
  log.fatal({ err: error }, 'output failed; exiting to resume from the last checkpoint');
  void shutdown.trigger('output failed', 1);
});
shutdown.add('ingestor', () => app.close());

const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  readiness: {
    stream: () => app.ingestor.connected,
    output: () => app.output.writable,
  },
});
shutdown.add('ops server', () => ops.close());
log.info({ metricsPort: ops.port, output: env.OUTPUT }, 'ops server listening');

app.ingestor.start();
