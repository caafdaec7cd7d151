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

  it('never shows a secret: secret variables say (set), URLs lose their credentials', () => {
    const secrets = z.object({
      DISCORD_TOKEN: z.string().min(80),
      KAFKA_SASL_PASSWORD: z.string().min(80),
      STREAM_URL: z.url({ protocol: /^https$/ }),
    });
    let error: unknown;
    try {
      parseEnv(secrets, {
        DISCORD_TOKEN: 'MTAx.short',
        KAFKA_SASL_PASSWORD: 'hunter2',
        STREAM_URL: 'http://user:hunter3@stream.example/v2',
      });
    } catch (e) {
      error = e;
    }
    const message = (error as ConfigError).message;
    expect(message).not.toMatch(/MTAx|hunter2|hunter3/);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^DISCORD_TOKEN: .* \(set\)$/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD: .* \(set\)$/),
      expect.stringMatching(/^STREAM_URL: .* \(got "http:\/\/\[redacted\]@stream.example\/v2"\)$/),
    ]);
  });
});
