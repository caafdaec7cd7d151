import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `runMain` ends the process, so each case runs it in a child: a small program built on the
 * compiled package, as an app's main is.
 */
const lifecycle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(body: string, env: Record<string, string> = {}, signalAfter?: RegExp): Promise<Ended> {
  const program = `
    import { runMain, taskApp } from ${JSON.stringify(lifecycle)};
    const config = (env) => ({
      LOG_LEVEL: 'info',
      SHUTDOWN_DEADLINE_MS: 2000,
      ...(env.BAD ? (() => { throw new Error('invalid configuration:\\n  - BAD: not good (got "x")\\n  - WORSE: unset'); })() : {}),
    });
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (signalAfter?.test(stdout)) {
      signalAfter = undefined;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const messages = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('runMain', () => {
  it('ends on bad settings with their lines and status 2, before anything starts', async () => {
    const ended = await run(
      `await runMain({ name: 't', load: () => config(process.env), create: () => { console.log('created'); } });`,
      { BAD: '1' },
    );
    expect(ended).toEqual({
      code: 2,
      stdout: '',
      stderr: 'invalid configuration:\n  - BAD: not good (got "x")\n  - WORSE: unset\n',
    });
  });

  it('closes the app, then what main opened, on SIGTERM, and exits 0', async () => {
    // Markers on stdout, a pipe written synchronously: the logger writes asynchronously, and
    // its lines may reach the pipe out of order as the process exits.
    const ended = await run(
      `const say = (line) => process.stdout.write(line + '\\n');
      await runMain({
        name: 't',
        load: () => config(process.env),
        create: (_, { onClose }) => {
          onClose('client', () => say('client closed'));
          // Work that keeps the process alive, as a server or a consumer does.
          const working = setInterval(() => {}, 1000);
          return {
            start: async () => say('running'),
            close: async () => {
              clearInterval(working);
              say('app closed');
            },
          };
        },
      });`,
      {},
      /running/,
    );
    expect(ended.code).toBe(0);
    expect(ended.stdout).toBe('running\napp closed\nclient closed\n');
    expect(messages(ended.stderr).sort()).toEqual(['shutting down', 'stopped']);
  });

  it('stops with status 1 when the app fails to start, logging why', async () => {
    const ended = await run(
      `await runMain({
        name: 't',
        load: () => config(process.env),
        create: () => ({ start: async () => { throw new Error('no broker answers'); }, close: async () => {} }),
      });`,
    );
    expect(ended.code).toBe(1);
    const lines = ended.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string; err?: { message: string } });
    expect(lines.find((line) => line.level === 'fatal')).toMatchObject({
      msg: 'start failed',
      err: { message: 'no broker answers' },
    });
  });

  it('ends a task with the status it resolves to', async () => {
    const ended = await run(
      `await runMain({ name: 't', load: () => config(process.env), create: () => taskApp(async () => 3) });`,
    );
    expect(ended.code).toBe(3);
    expect(messages(ended.stderr).sort()).toEqual(['shutting down', 'stopped']);
  });
});
