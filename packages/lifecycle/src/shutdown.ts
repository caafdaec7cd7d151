import type { Logger } from '@wikipulse/logger';

export type CloseFn = () => void | Promise<void>;

export interface ShutdownOptions {
  log: Logger;
  /** Hard limit for all close steps together; keep it below the pod's grace period. */
  deadlineMs: number;
  /** How the process ends; replaceable in tests. */
  exit?: (code: number) => void;
}

/**
 * One shutdown path for a process. Steps are closed in reverse order of registration (the
 * component that started last stops first), each awaited, and the whole run is bounded by a
 * hard deadline after which the process exits non-zero rather than hang past SIGKILL.
 */
export class Shutdown {
  readonly #log: Logger;
  readonly #deadlineMs: number;
  readonly #exit: (code: number) => void;
  readonly #steps: { name: string; close: CloseFn }[] = [];
  readonly #controller = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: ShutdownOptions) {
    this.#log = options.log;
    this.#deadlineMs = options.deadlineMs;
    this.#exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Aborted as soon as shutdown begins: loops and waits watch it to stop early. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  add(name: string, close: CloseFn): void {
    this.#steps.push({ name, close });
  }

  /** Starts shutdown once; later calls return the same run. */
  trigger(reason: string, code = 0): Promise<void> {
    this.#running ??= this.#run(reason, code);
    return this.#running;
  }

  async #run(reason: string, code: number): Promise<void> {
    this.#log.info({ reason, deadlineMs: this.#deadlineMs }, 'shutting down');
    this.#controller.abort(new Error(`shutdown: ${reason}`));
    const deadline = setTimeout(() => {
      this.#log.error({ deadlineMs: this.#deadlineMs }, 'shutdown deadline passed, exiting');
      this.#exit(code === 0 ? 1 : code);
    }, this.#deadlineMs);
    deadline.unref();
    let failed = false;
    for (const step of [...this.#steps].reverse()) {
      try {
        await step.close();
      } catch (error) {
        failed = true;
        this.#log.error({ err: error, step: step.name }, 'close step failed');
      }
    }
    clearTimeout(deadline);
    this.#log.info({ reason }, 'stopped');
    this.#exit(failed && code === 0 ? 1 : code);
  }
}

/** Creates the process's shutdown and routes signals and fatal errors into it. */
export function installShutdown(options: ShutdownOptions): Shutdown {
  const shutdown = new Shutdown(options);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown.trigger(signal));
  }
  process.once('uncaughtException', (error) => {
    reportFatal(options.log, error, 'uncaught exception');
    void shutdown.trigger('uncaughtException', 1);
  });
  process.once('unhandledRejection', (error) => {
    options.log.fatal({ err: error }, 'unhandled rejection');
    void shutdown.trigger('unhandledRejection', 1);
  });
  return shutdown;
}

/**
 * Logs an error the process cannot continue after. One that already says what to fix in one
 * line (a refused Kafka credential, an unreachable broker) is logged as that line, without a
 * stack; any other with its stack, under `message`.
 */
export function reportFatal(log: Logger, error: unknown, message: string): void {
  if (isExplained(error)) log.fatal({ problem: error.message }, 'cannot continue');
  else log.fatal({ err: error }, message);
}

/**
 * An error whose message is a complete, one-line explanation for the person running the
 * process (`explained: true`, as `@wikipulse/kafka`'s `KafkaError` sets).
 */
export function isExplained(error: unknown): error is Error {
  return error instanceof Error && (error as { explained?: unknown }).explained === true;
}
