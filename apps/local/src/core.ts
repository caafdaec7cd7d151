import { Readable } from 'node:stream';
import { runConsole } from '@wikipulse/bot';
import { runMain } from '@wikipulse/lifecycle';
import { loadEnv } from './env.js';
import { startHttpServer, type Progress } from './http/server.js';
import { startPipeline } from './pipeline.js';
import { progressLine, RateMeter } from './progress.js';
import { liveStreamAnswers, startReplay, type Source } from './source.js';

/**
 * The local run's engine (see main.ts): the pipeline, the HTTP API and Discord in this process,
 * whose stdin is /dev/null because the embedded ClickHouse engine reads a piped stdin as
 * INSERT data. Console lines arrive from the parent over IPC; replies go to the shared stdout.
 * Each part is closed at shutdown in the reverse order of its start.
 */
const say = (line: string) => process.stderr.write(`${line}\n`);

const USER_AGENT =
  'Wikipulse-local/0.1.0 (https://github.com/wikipulse/wikipulse; wikipulse@example.org) eventsource/4';

await runMain({
  name: 'local',
  load: () => loadEnv(),
  create: (env, { log, registry, onClose, stop, fail }) => ({
    close: async () => {},
    start: async () => {
      const streamUrl = env.ingestor.STREAM_URL;
      let source: Source;
      if (
        env.mode !== 'replay' &&
        (await liveStreamAnswers(streamUrl, USER_AGENT, env.PROBE_TIMEOUT_MS))
      ) {
        source = {
          kind: 'live',
          url: streamUrl,
          description: `ingesting the live stream ${streamUrl}`,
          stop: async () => {},
        };
      } else if (env.mode === 'live') {
        say(
          `wikipulse: the live stream ${streamUrl} did not answer within ${env.PROBE_TIMEOUT_MS} ms`,
        );
        fail('live stream unreachable');
        return;
      } else {
        if (env.mode === 'auto')
          say(
            `wikipulse: the live stream ${streamUrl} is not reachable; replaying the recording instead`,
          );
        source = await startReplay(env);
      }
      onClose('source', () => source.stop());
      say(`wikipulse: ${source.description}`);

      const pipeline = await startPipeline(env, source.url, log, registry, (error) => {
        log.error({ err: error }, 'pipeline failed');
        fail('pipeline failed');
      });
      onClose('pipeline', () => pipeline.close());

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
      onClose('row counter', () => clearInterval(countRows));

      const http = await startHttpServer({
        store: pipeline.store,
        progress,
        registry,
        port: env.PORT,
        host: env.HOST,
        log,
      });
      onClose('http', () => http.close());
      say(
        `wikipulse: web page and HTTP API on http://${env.HOST}:${http.port}/ (console: type !help)`,
      );
      if (env.DISCORD_TOKEN) say('wikipulse: answering on Discord too');

      if (env.PROGRESS_INTERVAL_S > 0) {
        const timer = setInterval(
          () => say(progressLine(progress())),
          env.PROGRESS_INTERVAL_S * 1000,
        );
        onClose('progress', () => clearInterval(timer));
      }

      // Console lines from the parent; the parent's end of input ends the console, not the run.
      const lines = new Readable({ read() {} });
      process.on('message', (message: { line?: string; end?: boolean }) => {
        if (message.end === true) lines.push(null);
        else if (typeof message.line === 'string') lines.push(`${message.line}\n`);
      });
      process.on('disconnect', () => stop('parent gone'));
      process.send?.({ ready: true, port: http.port });
      void runConsole(pipeline.commands, lines, process.stdout, () =>
        process.send?.({ done: true }),
      );
    },
  }),
});
