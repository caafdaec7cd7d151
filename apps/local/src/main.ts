import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadOrExit } from '@wikipulse/config';
import { loadEnv } from './env.js';

/**
 * `npm start`: Wikipulse on one machine. This process reads the console from stdin and forwards
 * each line to the engine process (core.ts), which runs the pipeline; Ctrl-C (SIGINT) or
 * SIGTERM stops the engine cleanly, and the next start resumes where this one stopped.
 */
loadOrExit(() => loadEnv());

const engine = fork(new URL('./core.js', import.meta.url), process.argv.slice(2), {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const exited = new Promise<number>((resolve) => engine.once('exit', (code) => resolve(code ?? 1)));
const ready = new Promise<boolean>((resolve) => {
  engine.once('message', () => resolve(true));
  void exited.then(() => resolve(false));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (engine.connected) engine.kill(signal);
  });
}

if (await ready) {
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
      engine.connected ? Promise.race([ask(line), exited.then(() => {})]) : undefined,
    );
  });
  input.on('close', () => {
    void pending.then(() => {
      if (engine.connected) engine.send({ end: true });
    });
  });
}
process.exitCode = await exited;
// The engine is gone: stop reading the console so this process can end.
process.stdin.destroy();
