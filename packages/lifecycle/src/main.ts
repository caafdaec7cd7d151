import { createLogger, type Logger, type LoggerOptions } from '@wikipulse/logger';
import {
  createRegistry,
  startOpsServer,
  type ReadinessCheck,
  type Registry,
} from '@wikipulse/metrics';
import { installShutdown, reportFatal, type CloseFn } from './shutdown.js';

/** A Wikipulse app as its `createApp(config, deps)` returns it, whoever runs it. */
export interface App {
  /**
   * Connects and starts working; resolves once the app runs. It may wait (for the schema, for
   * a lease) and resolves early when the app is closed meanwhile.
   */
  start(): Promise<void>;
  /** Stops what `start` began, whether it finished or not; closes nothing it was given. */
  close(): Promise<void>;
  /** Its `/readyz` checks. */
  readonly readiness?: Record<string, ReadinessCheck>;
  /** Facts `/readyz` reports beside the checks (a replica's role). */
  details?(): Record<string, unknown>;
  /**
   * For an app that ends by itself (a migration, a console whose input ended): settles with
   * the process's exit status, and the process then stops as on a signal.
   */
  readonly finished?: Promise<number>;
}

/** The settings `runMain` reads: the shared fragments of `@wikipulse/config`. */
export interface MainConfig {
  LOG_LEVEL: NonNullable<LoggerOptions['level']>;
  SHUTDOWN_DEADLINE_MS: number;
  METRICS_PORT?: number;
  METRICS_HOST?: string;
}

/** What `runMain` gives a main to build its app's real dependencies with. */
export interface MainContext {
  log: Logger;
  registry: Registry;
  /**
   * Closes something at shutdown, in the reverse order of registration. The app is registered
   * once `create` returns: what `create` registers (a ClickHouse client main opened) closes
   * after the app, what the app registers while it starts closes before it.
   */
  onClose: (name: string, close: CloseFn) => void;
  /** Stops the process gracefully with status 0: its work is done. */
  stop: (reason: string) => void;
  /** Stops the process gracefully with status 1; the app has logged why. */
  fail: (reason: string) => void;
}

export interface MainOptions<C extends MainConfig> {
  /** The process's name: its logger's and its metrics registry's. */
  name: string;
  /** Reads the configuration; anything it throws is a bad setting or argument. */
  load(): C;
  /** Builds the real dependencies and the app from them. */
  create(config: C, context: MainContext): App | Promise<App>;
  /** Serves `/metrics`, `/healthz` and `/readyz` on `METRICS_PORT` with the app's readiness. */
  ops?: boolean;
}

/**
 * Loads a configuration, or ends the process the way every app does on bad settings or
 * arguments: the problems on stderr, one a line (no logger exists yet; a `ConfigError` lists
 * them and never shows a secret), no stack, and exit code 2.
 */
function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

/**
 * The one way a Wikipulse process runs: configuration (bad settings end it with status 2), a
 * logger, the shutdown that SIGINT, SIGTERM and fatal errors trigger (bounded by
 * `SHUTDOWN_DEADLINE_MS`), the ops server, then the app. A failure while starting stops the
 * process gracefully with status 1, logged like any fatal error.
 */
export async function runMain<C extends MainConfig>(options: MainOptions<C>): Promise<void> {
  const { name } = options;
  const config = loadOrExit(() => options.load());
  const log = createLogger({ name, level: config.LOG_LEVEL });
  const shutdown = installShutdown({ log, deadlineMs: config.SHUTDOWN_DEADLINE_MS });
  const registry = createRegistry(name);
  const context: MainContext = {
    log,
    registry,
    onClose: (step, close) => shutdown.add(step, close),
    stop: (reason) => void shutdown.trigger(reason),
    fail: (reason) => void shutdown.trigger(reason, 1),
  };
  try {
    const app = await options.create(config, context);
    shutdown.add(name, () => app.close());
    if (options.ops) {
      if (config.METRICS_PORT === undefined)
        throw new Error(`${name}: ops server without METRICS_PORT`);
      const ops = await startOpsServer({
        registry,
        port: config.METRICS_PORT,
        ...(config.METRICS_HOST !== undefined ? { host: config.METRICS_HOST } : {}),
        ...(app.readiness ? { readiness: app.readiness } : {}),
        ...(app.details ? { details: () => app.details!() } : {}),
      });
      shutdown.add('ops server', () => ops.close());
      log.info({ metricsPort: ops.port }, 'ops server listening');
    }
    void app.finished?.then((code) => shutdown.trigger('finished', code));
    await app.start();
  } catch (error) {
    reportFatal(log, error, 'start failed');
    await shutdown.trigger('start failed', 1);
  }
}

/**
 * An app that runs one task to its end (a migration, a console session): the process then
 * stops with the status the task resolved to. `close` interrupts it on a signal.
 */
export function taskApp(
  run: () => Promise<number>,
  close: () => Promise<void> = async () => {},
): App {
  let finish!: (code: number) => void;
  const finished = new Promise<number>((settle) => (finish = settle));
  return { finished, start: async () => finish(await run()), close };
}
