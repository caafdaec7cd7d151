import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A program run as its own process, as a user or an orchestrator runs it. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** Settles once the process has ended. */
  readonly exited: Promise<Exit>;
  /**
   * Resolves with the `count`-th line of stdout or stderr matching `pattern`; rejects when the
   * process ends first or `timeoutMs` passes.
   */
  line(pattern: RegExp, options?: { count?: number; timeoutMs?: number }): Promise<string>;
  /** The last lines it wrote, for a failure message. */
  tail(): string;
  /** Sends `signal` and waits for the end. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const TAIL_LINES = 40;

/** Runs `node args…`, or `command args…` (`npm`, found on PATH) when given. */
export function startApp(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; stdin?: 'pipe' | 'ignore'; command?: string },
): AppProcess {
  const child = spawn(options.command ?? process.execPath, args, {
    env: options.env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const tail: string[] = [];
  const watchers = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      for (const watch of watchers) watch(line);
    });
  }
  const describe = () => `${args.join(' ')}:\n${tail.join('\n')}`;

  return {
    child,
    exited,
    tail: () => tail.join('\n'),
    line: (pattern, { count = 1, timeoutMs = 60_000 } = {}) =>
      new Promise<string>((resolve, reject) => {
        let seen = 0;
        const done = (settle: () => void) => {
          watchers.delete(watch);
          clearTimeout(timer);
          settle();
        };
        const watch = (line: string) => {
          if (!pattern.test(line) || ++seen < count) return;
          done(() => resolve(line));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`no line ${pattern} within ${timeoutMs} ms from ${describe()}`)),
            ),
          timeoutMs,
        );
        watchers.add(watch);
        void exited.then((exit) =>
          done(() =>
            reject(new Error(`ended (${JSON.stringify(exit)}) before ${pattern}: ${describe()}`)),
          ),
        );
      }),
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}
