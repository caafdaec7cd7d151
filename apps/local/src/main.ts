import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { runMain } from '@wikipulse/lifecycle';
import { loadEnv } from './env.js';

/**
 * `npm start`: Wikipulse on one machine. This process reads the console from stdin and forwards
 * each line to the engine process (core.ts), which runs the pipeline; Ctrl-C (SIGINT) or
 * SIGTERM stops the engine cleanly, and the next start resumes where this one stopped. The
 * process ends with the engine's status.
 */
await runMain({
  name: 'local',
  load: () => loadEnv(),
  create: () => {
    const engine = fork(new URL('./core.js', import.meta.url), process.argv.slice(2), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const finished = new Promise<number>((resolve) =>
      engine.once('exit', (code) => resolve(code ?? 1)),
    );
    const ready = new Promise<boolean>((resolve) => {
      engine.once('message', () => resolve(true));
      void finished.then(() => resolve(false));
    });
    const converse = () => {
      let pending = Promise.resolve();
      const ask = (line: string) =>
        new Promise<void>((resolve) => {
          const onMessage = (message: { done?: boolean }) => {
            if (message.done !== true) return;
            engine.off('message', onMessage);
            resolve();
          };
          engine.on('message', onMessage);
          engine.send({ line });
        });
      const input = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
      input.on('line', (line) => {
        pending = pending.then(() =>
          engine.connected ? Promise.race([ask(line), finished.then(() => {})]) : undefined,
        );
      });
      input.on('close', () => {
        void pending.then(() => {
          if (engine.connected) engine.send({ end: true });
        });
      });
    };
    return {
      finished,
      start: async () => {
        if (await ready) converse();
      },
      close: async () => {
        // Stopped by a signal: the engine stops too (it ended by itself: its status is the
        // process's already).
        const stopping = engine.connected;
        if (stopping) engine.kill('SIGTERM');
        const code = await finished;
        // The engine is gone: stop reading the console so this process can end.
        process.stdin.destroy();
        if (stopping && code !== 0) throw new Error(`the engine stopped with status ${code}`);
      },
    };
  },
});
