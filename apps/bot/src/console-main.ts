import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { runMain } from '@wikipulse/lifecycle';
import { consoleEnv } from './env.js';

/**
 * `npm run bot:console`. The embedded ClickHouse engine reads the process's standard input as
 * INSERT data whenever stdin is a pipe, which breaks every insert of a piped session. So this
 * process only reads stdin, and the commands run in a child whose stdin is /dev/null; replies
 * go straight to the shared stdout, one command at a time. The process ends with the child's
 * status.
 */
await runMain({
  name: 'bot-console',
  load: () => consoleEnv(),
  create: () => {
    const child = fork(new URL('./console-engine.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const finished = new Promise<number>((resolve) =>
      child.once('exit', (code) => resolve(code ?? 1)),
    );
    const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
    const alive = () => child.connected;
    const ask = (line: string) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ line });
      });
    const converse = async () => {
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (!alive()) break;
        await Promise.race([ask(line), finished]);
      }
      if (alive()) child.send({ end: true });
    };
    return {
      finished,
      start: async () => {
        await Promise.race([ready, finished]);
        if (alive()) void converse();
      },
      close: async () => {
        if (alive()) child.kill('SIGTERM');
        await finished;
        // The terminal may still hold the console's input open.
        process.stdin.destroy();
      },
    };
  },
});
