import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * `npm run bot:console`. The embedded ClickHouse engine reads the process's standard input as
 * INSERT data whenever stdin is a pipe, which breaks every insert of a piped session. So this
 * process only reads stdin, and the commands run in a child whose stdin is /dev/null; replies
 * go straight to the shared stdout, one command at a time.
 */
const child = fork(new URL('./console-engine.js', import.meta.url), [], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));

function ask(line: string): Promise<void> {
  return new Promise((resolve) => {
    child.once('message', () => resolve());
    child.send({ line });
  });
}

const alive = () => child.connected;

await Promise.race([ready, exited]);
if (alive()) {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!alive()) break;
    await Promise.race([ask(line), exited]);
  }
  if (alive()) child.send({ end: true });
}
process.exitCode = await exited;
