import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets, serializeError } from './index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

const INTERACTION_TOKEN =
  'aW50ZXJhY3Rpb246MTI0NjQ5MDk5NzQ4MTQ2OTk2NzpvV0d2c2xfS0RrT0ZQZzVpRnB4dG1nZk9rZ0JxN2hQ';
const WEBHOOK_TOKEN = 'x3Fq-9LmN_0pQrStUvWxYz1234567890abcdefGHIJKLmnopQRSTuvwxYZ0123456789';

/** The fields of @discordjs/rest's DiscordAPIError (2.x): the request's url and body ride along. */
class DiscordAPIErrorShape extends Error {
  readonly rawError: { code: number; message: string };
  readonly code: number;
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly requestBody: { files: unknown; json: unknown };

  constructor(message: string, code: number, status: number, method: string, url: string) {
    super(message);
    this.rawError = { code, message };
    this.code = code;
    this.status = status;
    this.method = method;
    this.url = url;
    this.requestBody = {
      files: undefined,
      json: { type: 4, data: { content: `retry via ${url}` } },
    };
  }

  override get name(): string {
    return `DiscordAPIError[${this.code}]`;
  }
}

/** The fields of @discordjs/rest's HTTPError (a 5xx answer): status text as its message. */
class HTTPErrorShape extends Error {
  override name = 'HTTPError';
  readonly requestBody: { files: unknown; json: unknown };

  constructor(
    readonly status: number,
    statusText: string,
    readonly method: string,
    readonly url: string,
  ) {
    super(statusText);
    this.requestBody = { files: [{ name: 'a.png', data: Buffer.from('png') }], json: {} };
  }
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

  it('never prints secret fields, at the top or inside connection settings', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'unit', destination });
    log.info({ discord: { token: 'abc.def' }, password: 'p' }, 'configured');
    log.info(
      {
        sasl: { mechanism: 'plain', username: 'u', password: 'pw-1' },
        tls: { ca: 'CA', key: 'KEY-PEM' },
        headers: { 'x-clickhouse-key': 'ch-pass' },
        key: 'enwiki',
      },
      'connected',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/abc\.def|"p"|pw-1|KEY-PEM|ch-pass/);
    // A Kafka message key is no secret.
    expect(lines[1]).toMatchObject({ key: 'enwiki', sasl: { username: 'u' } });
  });

  it('scrubs Discord tokens from an API error: url, message, stack and request body', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'unit', destination });
    const url = `https://discord.com/api/v10/interactions/1246490997481469967/${INTERACTION_TOKEN}/callback`;
    const error = new DiscordAPIErrorShape(
      `Unknown interaction at ${url}`,
      10062,
      404,
      'POST',
      url,
    );
    log.error({ err: error }, 'reply failed');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(INTERACTION_TOKEN);
    const err = lines[0]!['err'] as Record<string, unknown>;
    expect(err['url']).toBe(
      'https://discord.com/api/v10/interactions/1246490997481469967/[redacted]/callback',
    );
    expect(err['message']).toContain('/interactions/1246490997481469967/[redacted]/callback');
    expect(err['stack']).toMatch(/^DiscordAPIError\[10062\]: Unknown interaction/);
    expect(err).toMatchObject({ code: 10062, status: 404, method: 'POST' });
    expect(err['requestBody']).toEqual({
      json: {
        type: 4,
        data: {
          content:
            'retry via https://discord.com/api/v10/interactions/1246490997481469967/[redacted]/callback',
        },
      },
    });
  });

  it('scrubs webhook tokens from an HTTP error and its causes, keeping binary bodies as they are', () => {
    const url = `https://discord.com/api/v10/webhooks/1100000000000000000/${WEBHOOK_TOKEN}/messages/@original`;
    const error = new HTTPErrorShape(503, 'Service Unavailable', 'PATCH', url);
    const wrapped = new Error('could not edit the reply', { cause: error });
    const serialized = serializeError(wrapped) as Record<string, unknown>;
    expect(JSON.stringify(serialized)).not.toContain(WEBHOOK_TOKEN);
    expect(serialized['stack']).toMatch(/caused by: HTTPError: Service Unavailable/);

    const direct = serializeError(error) as Record<string, unknown>;
    expect(direct['url']).toBe(
      'https://discord.com/api/v10/webhooks/1100000000000000000/[redacted]/messages/@original',
    );
    const body = direct['requestBody'] as { files: { data: unknown }[] };
    expect(Buffer.isBuffer(body.files[0]!.data)).toBe(true);
  });

  it('scrubs URL credentials from any error string, URL objects and the message itself', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'unit', destination });
    const error = Object.assign(
      new Error('connect ECONNREFUSED for http://wikipulse:s3cr%40t@clickhouse:8123/?query=1'),
      { target: new URL('https://alice:hunter2@kafka.example:9093/') },
    );
    log.error({ err: error }, `write failed: ${error.message}`);
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/s3cr|hunter2|wikipulse:|alice/);
    expect(lines[0]).toMatchObject({
      msg: 'write failed: connect ECONNREFUSED for http://[redacted]@clickhouse:8123/?query=1',
      err: { target: 'https://[redacted]@kafka.example:9093/' },
    });
  });

  it('survives errors that refer to themselves and values that are not errors', () => {
    const error = new Error('loop') as Error & { self?: unknown; deep?: unknown };
    error.self = { back: error };
    expect(JSON.stringify(serializeError(error))).toContain('[circular]');
    expect(serializeError('https://u:p@h/')).toBe('https://[redacted]@h/');
    expect(serializeError(undefined)).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('keeps what is not a secret', () => {
    const agent =
      'Wikipulse-ingestor/0.1.0 (https://github.com/wikipulse/wikipulse; wikipulse@example.org)';
    expect(redactSecrets(agent)).toBe(agent);
    expect(redactSecrets('GET /api/v10/webhooks/123 404')).toBe('GET /api/v10/webhooks/123 404');
    expect(redactSecrets('https://user:p@ss@host:8443/x')).toBe('https://[redacted]@host:8443/x');
  });
});
