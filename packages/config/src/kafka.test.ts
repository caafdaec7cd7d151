import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envVar, kafkaConnection, kafkaEnv, kafkaEnvRules, parseEnv, z } from './index.js';
import { makeTestFiles, problemsOf as problemsIn, type TestFiles } from './testing/index.js';

/** An app's schema as the apps build theirs: own variables, then Kafka's. */
const schema = z.object({ PORT: envVar.port(8080), ...kafkaEnv }).check(...kafkaEnvRules);
const connect = (env: Record<string, string>) => kafkaConnection(parseEnv(schema, env));

const problemsOf = (env: Record<string, string>) => problemsIn(schema, env);

let pki: TestFiles;
beforeAll(() => {
  pki = makeTestFiles();
});
afterAll(() => pki.remove());

describe('the Kafka connection', () => {
  it('is plaintext without authentication unless told otherwise', () => {
    expect(connect({ KAFKA_BROKERS: 'a:9092, b:9092' })).toEqual({
      brokers: ['a:9092', 'b:9092'],
      deliveryTimeoutMs: 120_000,
    });
    // Deployments template unused variables empty.
    expect(
      connect({
        KAFKA_BROKERS: 'a:9092',
        KAFKA_TLS: '',
        KAFKA_SASL_MECHANISM: '',
        KAFKA_DELIVERY_TIMEOUT_MS: '5000',
      }),
    ).toEqual({ brokers: ['a:9092'], deliveryTimeoutMs: 5_000 });
  });

  it('uses TLS with the system CAs when asked, and with a CA file when one is given', () => {
    expect(connect({ KAFKA_BROKERS: 'a:9093', KAFKA_TLS: 'true' })).toEqual({
      brokers: ['a:9093'],
      tls: {},
      deliveryTimeoutMs: 120_000,
    });
    expect(connect({ KAFKA_BROKERS: 'a:9093', KAFKA_TLS_CA_FILE: pki.ca }).tls).toEqual({
      ca: readFileSync(pki.ca, 'utf8'),
    });
  });

  it('presents a client certificate for mutual TLS', () => {
    const tls = connect({
      KAFKA_BROKERS: 'a:9093',
      KAFKA_TLS_CA_FILE: pki.ca,
      KAFKA_TLS_CERT_FILE: pki.cert,
      KAFKA_TLS_KEY_FILE: pki.key,
    }).tls;
    expect(tls).toEqual({
      ca: readFileSync(pki.ca, 'utf8'),
      cert: readFileSync(pki.cert, 'utf8'),
      key: readFileSync(pki.key, 'utf8'),
    });
  });

  it('authenticates with SCRAM or PLAIN, the password given or read from a file', () => {
    expect(
      connect({
        KAFKA_BROKERS: 'a:9096',
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'wikipulse',
        KAFKA_SASL_PASSWORD_FILE: pki.password,
      }),
    ).toEqual({
      brokers: ['a:9096'],
      tls: {},
      sasl: { mechanism: 'scram-sha-512', username: 'wikipulse', password: 'from-a-file' },
      deliveryTimeoutMs: 120_000,
    });
    expect(
      connect({
        KAFKA_BROKERS: 'a:9092',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: '$ConnectionString',
        KAFKA_SASL_PASSWORD: 'Endpoint=sb://x/;SharedAccessKey=y',
      }).sasl,
    ).toEqual({
      mechanism: 'plain',
      username: '$ConnectionString',
      password: 'Endpoint=sb://x/;SharedAccessKey=y',
    });
  });

  it('hands OAUTHBEARER the token file, to read again at every authentication', () => {
    expect(
      connect({
        KAFKA_BROKERS: 'a:9098',
        KAFKA_TLS: 'yes',
        KAFKA_SASL_MECHANISM: 'OAuthBearer',
        KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: pki.token,
      }).sasl,
    ).toEqual({ mechanism: 'oauthbearer', tokenFile: pki.token });
  });
});

describe('Kafka settings problems', () => {
  it('names each unusable file with its path, together with every other bad variable', () => {
    const notPem = pki.password;
    const problems = problemsOf({
      PORT: 'eighty',
      KAFKA_BROKERS: 'a:9093',
      KAFKA_TLS: 'maybe',
      KAFKA_TLS_CA_FILE: join(pki.dir, 'missing.pem'),
      KAFKA_TLS_CERT_FILE: pki.dir,
      KAFKA_TLS_KEY_FILE: notPem,
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_SASL_PASSWORD_FILE: join(pki.dir, 'nope'),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^PORT: .*"eighty"/),
      expect.stringMatching(/^KAFKA_TLS: .*"maybe"/),
      `KAFKA_TLS_CA_FILE: no such file (got "${pki.dir}/missing.pem")`,
      `KAFKA_TLS_CERT_FILE: is a directory, not a file (got "${pki.dir}")`,
      `KAFKA_TLS_KEY_FILE: holds no PEM private key (-----BEGIN PRIVATE KEY-----) (got "${notPem}")`,
      expect.stringMatching(/^KAFKA_SASL_MECHANISM: .*scram-sha-512.*"gssapi"/),
      `KAFKA_SASL_PASSWORD_FILE: no such file (got "${pki.dir}/nope")`,
    ]);
  });

  it('refuses a CA file that holds no certificate and a key under a passphrase', () => {
    expect(
      problemsOf({
        KAFKA_BROKERS: 'a:9093',
        KAFKA_TLS_CA_FILE: pki.key,
        KAFKA_TLS_CERT_FILE: pki.cert,
        KAFKA_TLS_KEY_FILE: pki.encryptedKey,
      }),
    ).toEqual([
      `KAFKA_TLS_CA_FILE: holds no PEM certificate (-----BEGIN CERTIFICATE-----) (got "${pki.key}")`,
      `KAFKA_TLS_KEY_FILE: holds an encrypted private key; give it unencrypted (keep the file secret) (got "${pki.encryptedKey}")`,
    ]);
  });

  it('reports every rule a combination breaks, with the problems of unrelated variables', () => {
    const problems = problemsOf({
      // Not a number at all: zod skips an object's refinements after such a problem.
      PORT: 'eighty',
      KAFKA_BROKERS: 'a:9093',
      KAFKA_TLS: 'false',
      KAFKA_TLS_CA_FILE: pki.ca,
      KAFKA_TLS_CERT_FILE: pki.cert,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_PASSWORD: 'hunter2',
      KAFKA_SASL_PASSWORD_FILE: pki.password,
      KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: pki.token,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^PORT: /),
      `KAFKA_TLS_CA_FILE: set, but KAFKA_TLS=false turns TLS off (got "${pki.ca}")`,
      `KAFKA_TLS_CERT_FILE: set, but KAFKA_TLS=false turns TLS off (got "${pki.cert}")`,
      `KAFKA_TLS_CERT_FILE: needs KAFKA_TLS_KEY_FILE (mutual TLS takes a certificate and its key) (got "${pki.cert}")`,
      'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=scram-sha-256 (unset)',
      'KAFKA_SASL_PASSWORD: set only one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE (set)',
      `KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: only with KAFKA_SASL_MECHANISM=oauthbearer (got "${pki.token}")`,
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('checks SASL even when a TLS file is unusable', () => {
    expect(
      problemsOf({
        KAFKA_BROKERS: 'a:9096',
        KAFKA_TLS_CA_FILE: pki.dir,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_PASSWORD: 'hunter2',
      }),
    ).toEqual([
      `KAFKA_TLS_CA_FILE: is a directory, not a file (got "${pki.dir}")`,
      'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=scram-sha-512 (unset)',
    ]);
  });

  it('refuses a client key that is not the certificate’s', () => {
    expect(
      problemsOf({
        KAFKA_BROKERS: 'a:9093',
        KAFKA_TLS_CERT_FILE: pki.cert,
        KAFKA_TLS_KEY_FILE: pki.otherKey,
      }),
    ).toEqual([
      `KAFKA_TLS_KEY_FILE: is not the key of the certificate in ${pki.cert} (got "${pki.otherKey}")`,
    ]);
  });

  it('wants the credentials each mechanism uses and no others', () => {
    expect(problemsOf({ KAFKA_BROKERS: 'a:9092', KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=plain (unset)',
      'KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM=plain (or KAFKA_SASL_PASSWORD_FILE) (unset)',
    ]);
    expect(
      problemsOf({
        KAFKA_BROKERS: 'a:9092',
        KAFKA_SASL_MECHANISM: 'oauthbearer',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual([
      'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: required with KAFKA_SASL_MECHANISM=oauthbearer (unset)',
      'KAFKA_SASL_USERNAME: not used with oauthbearer (the token authenticates) (got "u")',
      'KAFKA_SASL_PASSWORD: not used with oauthbearer (the token authenticates) (set)',
    ]);
    expect(
      problemsOf({ KAFKA_BROKERS: 'a:9092', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
    ).toEqual([
      'KAFKA_SASL_USERNAME: set, but KAFKA_SASL_MECHANISM is not (got "u")',
      'KAFKA_SASL_PASSWORD: set, but KAFKA_SASL_MECHANISM is not (set)',
    ]);
  });

  it('refuses an empty password file', () => {
    const empty = join(pki.dir, 'empty');
    writeFileSync(empty, '\n');
    expect(
      problemsOf({
        KAFKA_BROKERS: 'a:9092',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD_FILE: empty,
      }),
    ).toEqual([`KAFKA_SASL_PASSWORD_FILE: is empty (got "${empty}")`]);
  });
});
