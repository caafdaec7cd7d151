import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

/**
 * Every process ends the same way on bad settings (`runMain`): the problems on stderr, one a
 * line, no stack, no secret, status 2. Each is given a bad shared setting and a secret it
 * must not repeat.
 */
const SECRET = 'hunter2-do-not-print';

const mains: [name: string, path: string, env: Record<string, string>][] = [
  ['ingestor', 'apps/ingestor/dist/main.js', { KAFKA_SASL_PASSWORD: SECRET }],
  ['sink', 'apps/sink/dist/main.js', { KAFKA_SASL_PASSWORD: SECRET }],
  ['bot', 'apps/bot/dist/main.js', { BOT_ROLE: 'worker', KAFKA_SASL_PASSWORD: SECRET }],
  ['bot console', 'apps/bot/dist/console-main.js', { CLICKHOUSE_PASSWORD: SECRET }],
  ['operator', 'apps/operator/dist/main.js', { KAFKA_SASL_PASSWORD: SECRET }],
  ['npm start', 'apps/local/dist/main.js', { KAFKA_SASL_PASSWORD: SECRET }],
  ['npm run migrate', 'apps/sink/dist/migrate.js', { CLICKHOUSE_PASSWORD: SECRET }],
];

function run(path: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(repoRoot, path)], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      SHUTDOWN_DEADLINE_MS: 'soon',
      LOG_LEVEL: 'loud',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('a bad setting', () => {
  it.each(mains)('ends %s with one line per problem and status 2', async (_, path, env) => {
    const ended = await run(path, env);
    expect(ended.code, ended.stderr).toBe(2);
    expect(ended.stdout).toBe('');
    const [heading, ...problems] = ended.stderr.trimEnd().split('\n');
    expect(heading).toBe('invalid configuration:');
    for (const line of problems) expect(line).toMatch(/^ {2}- [A-Z_]+: /);
    const named = problems.map((line) => line.slice(4, line.indexOf(':')));
    expect(named).toContain('SHUTDOWN_DEADLINE_MS');
    expect(named).toContain('LOG_LEVEL');
    expect(named.some((name) => name.endsWith('_PASSWORD'))).toBe(true);
    expect(ended.stderr).not.toContain(SECRET);
  });
});
