import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

describe('createLogger', () => {
  it('writes JSON lines with the component name and honours the level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'unit', level: 'warn', destination });
    log.info('hidden');
    log.warn({ partition: 3 }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'unit', level: 'warn', partition: 3, msg: 'shown' });
  });

  it('never prints secrets', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'unit', destination });
    log.info({ discord: { token: 'abc.def' }, password: 'p' }, 'configured');
    expect(JSON.stringify(lines)).not.toMatch(/abc\.def|"p"/);
  });
});
