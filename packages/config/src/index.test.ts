import { describe, expect, it } from 'vitest';
import { ConfigError, envVar, parseEnv, z } from './index.js';

const schema = z.object({
  PORT: envVar.port(8080),
  BROKERS: envVar.list(),
  DEBUG: envVar.boolean(false),
  BATCH: envVar.positiveInt(100),
});

describe('parseEnv', () => {
  it('applies defaults and coerces values', () => {
    const env = parseEnv(schema, { BROKERS: 'a:1, b:2,,', DEBUG: 'yes' });
    expect(env).toEqual({ PORT: 8080, BROKERS: ['a:1', 'b:2'], DEBUG: true, BATCH: 100 });
  });

  it('reports every bad variable at once', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: '70000', DEBUG: 'maybe', BATCH: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT.*"70000"/);
    expect(problems.join('\n')).toMatch(/DEBUG.*"maybe"/);
    expect(problems.join('\n')).toMatch(/BATCH.*"-1"/);
  });
});
