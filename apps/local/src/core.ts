import { Readable } from 'node:stream';
import { runConsole } from '@wikipulse/bot';
import { installShutdown } from '@wikipulse/lifecycle';
import { createLogger } from '@wikipulse/logger';
import { createRegistry } from '@wikipulse/metrics';
import { loadEnv } from './env.js';
import { startHttpServer, type Progress } from './http/server.js';
import { startPipeline } from './pipeline.js';
import { progressLine, RateMeter } from './progress.js';
import { liveStreamAnswers, startReplay, type Source } from './source.js';

/**
 * The local run's engine (see main.ts): the pipeline, the HTTP API and Discord in this process,
 * whose stdin is /dev/null because the embedded ClickHouse engine reads a piped stdin as
 * INSERT data. Console lines arrive from the parent over IPC; replies go to the shared stdout.
 */
const env = loadEnv();
const log = createLogger({ name: 'wikipulse-local', level: env.LOG_LEVEL });
const shutdown = installShutdown({ log, deadlineMs: 15_000 });
const say = (line: string) => process.stderr.write(`${line}\n`);

const USER_AGENT =
  'Wikipulse-local/0.1.0 (https://github.com/wikipulse/wikipulse; wikipulse@example.org) eventsource/4';

let source: Source;
if (
  env.mode !== 'replay' &&
  (await liveStreamAnswers(env.STREAM_URL, USER_AGENT, env.PROBE_TIMEOUT_MS))
) {
  source = {
    kind: 'live',
    url: env.STREAM_URL,
    description: `ingesting the live stream ${env.STREAM_URL}`,
    stop: async () => {},
  };
} else if (env.mode === 'live') {
  say(
    `wikipulse: the live stream ${env.STREAM_URL} did not answer within ${env.PROBE_TIMEOUT_MS} ms`,
  );
  process.exit(1);
} else {
  if (env.mode === 'auto')
    say(
      `wikipulse: the live stream ${env.STREAM_URL} is not reachable; replaying the recording instead`,
    );
  source = await startReplay(env);
}
shutdown.add('source', () => source.stop());
say(`wikipulse: ${source.description}`);

const registry = createRegistry('local');
const pipeline = await startPipeline(env, source.url, log, registry, (error) => {
  log.error({ err: error }, 'pipeline failed');
  void shutdown.trigger('pipeline failed', 1);
});
shutdown.add('pipeline', () => pipeline.close());

const startedAt = new Date().toISOString();
const meter = new RateMeter();
let stored = 0;
const progress = (): Progress => {
  const stats = pipeline.ingestor;
  const ingested = stats.produced;
  return {
    source: source.kind,
    sourceUrl: source.url,
    startedAt,
    ingested,
    ratePerSecond: meter.sample(ingested),
    lagSeconds: stats.received > 0 ? stats.lagSeconds : null,
    storedRows: stored,
    deadLettered: [...stats.deadLettered.values()].reduce((a, b) => a + b, 0),
  };
};
const countRows = setInterval(() => {
  void pipeline.storedRows().then(
    (n) => (stored = n),
    (error: unknown) => log.warn({ err: error }, 'counting stored rows failed'),
  );
}, 1_000);
shutdown.add('row counter', () => clearInterval(countRows));

const http = await startHttpServer({
  store: pipeline.store,
  progress,
  registry,
  port: env.PORT,
  host: env.HOST,
  maxLiveClients: env.LIVE_MAX_CLIENTS,
  log,
});
shutdown.add('http', () => http.close());
say(`wikipulse: web page and HTTP API on http://${env.HOST}:${http.port}/ (console: type !help)`);
if (env.DISCORD_TOKEN) say('wikipulse: answering on Discord too');

if (env.PROGRESS_INTERVAL_S > 0) {
  const timer = setInterval(() => say(progressLine(progress())), env.PROGRESS_INTERVAL_S * 1000);
  shutdown.add('progress', () => clearInterval(timer));
}

// Console lines from the parent; the parent's end of input ends the console, not the run.
const lines = new Readable({ read() {} });
process.on('message', (message: { line?: string; end?: boolean }) => {
  if (message.end === true) lines.push(null);
  else if (typeof message.line === 'string') lines.push(`${message.line}\n`);
});
process.on('disconnect', () => void shutdown.trigger('parent gone'));
process.send?.({ ready: true, port: http.port });
void runConsole(pipeline.commands, lines, process.stdout, () => process.send?.({ done: true }));
