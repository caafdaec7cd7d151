#!/usr/bin/env node
import { loadOrExit } from '@wikipulse/config';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry, startOpsServer } from '@wikipulse/metrics';
import { createIngestorApp, type IngestorApp } from './app.js';
import { loadEnv } from './env.js';
import { createElector } from './leadership.js';
import { registerLeaderMetric } from './metrics.js';

const env = loadOrExit(() => loadEnv());

const log = createLogger({ name: 'ingestor', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: env.SHUTDOWN_DEADLINE_MS });
const registry = createRegistry('ingestor');

const elector = await createElector(env, log, (reason) => {
  // Fencing: another replica may take the lease within seconds, so nothing more may be written.
  // A graceful stop would drain the batches in flight; ending at once is a crash, which the
  // next leader recovers from exactly (checkpoint and the topic's tail).
  log.fatal({ reason }, 'lost the lease; exiting at once');
  process.exit(1);
});
const leading = () => elector?.leading ?? true;
registerLeaderMetric(registry, leading);
// Registered first, so it runs last: the lease is released only once the ingestor stopped.
if (elector) shutdown.add('lease', () => elector.release());

let app: IngestorApp | undefined;
const ops = await startOpsServer({
  registry,
  port: env.METRICS_PORT,
  host: env.METRICS_HOST,
  // A standby is ready (a Deployment of two is Available) with no stream or output of its own.
  readiness: {
    stream: () => (app ? app.ingestor.connected : !leading()),
    output: () => (app ? app.output.writable : !leading()),
    ...(elector ? { lease: () => elector.inContact } : {}),
  },
  ...(elector ? { details: () => ({ leader: elector.leading }) } : {}),
});
shutdown.add('ops server', () => ops.close());
log.info({ metricsPort: ops.port, output: env.OUTPUT }, 'ops server listening');

// A standby builds nothing before it leads: it then starts as a restarted ingestor does, from
// the checkpoint and the output topic as the previous leader left them.
if (!elector || (await elector.acquire(shutdown.signal))) {
  const started = await createIngestorApp(env, log, registry, (error) => {
    log.fatal({ err: error }, 'output failed; exiting to resume from the last checkpoint');
    void shutdown.trigger('output failed', 1);
  });
  if (shutdown.signal.aborted) {
    await started.close();
  } else {
    app = started;
    shutdown.add('ingestor', () => started.close());
    started.ingestor.start();
  }
}
