import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseServer,
  clickHouseTarget,
  clickHouseUrl,
  parseEnv,
  z,
} from './index.js';
import { makeTestFiles, problemsOf as problemsIn, type TestFiles } from './testing/index.js';

const schema = z.object({ ...clickHouseEnv }).check(...clickHouseEnvRules);
const target = (env: Record<string, string>) => clickHouseTarget(parseEnv(schema, env), '/data/ch');

const problemsOf = (env: Record<string, string>) => problemsIn(schema, env);

let pki: TestFiles;
beforeAll(() => {
  pki = makeTestFiles();
});
afterAll(() => pki.remove());

describe('the ClickHouse target', () => {
  it('is the embedded engine without a URL', () => {
    expect(target({})).toEqual({ kind: 'embedded', path: '/data/ch' });
    expect(target({ CLICKHOUSE_URL: '', CLICKHOUSE_USER: '' })).toEqual({
      kind: 'embedded',
      path: '/data/ch',
    });
  });

  it('is a server with the user and the password, given or read from a file', () => {
    expect(target({ CLICKHOUSE_URL: 'http://clickhouse:8123' })).toEqual({
      kind: 'server',
      url: 'http://clickhouse:8123',
    });
    expect(
      target({
        CLICKHOUSE_URL: 'https://abc.eu-west-1.aws.clickhouse.cloud:8443',
        CLICKHOUSE_USER: 'default',
        CLICKHOUSE_PASSWORD_FILE: pki.password,
      }),
    ).toEqual({
      kind: 'server',
      url: 'https://abc.eu-west-1.aws.clickhouse.cloud:8443',
      username: 'default',
      password: 'from-a-file',
    });
  });

  it('trusts a CA file and presents a client certificate over https', () => {
    expect(
      target({
        CLICKHOUSE_URL: 'https://clickhouse:8443',
        CLICKHOUSE_USER: 'wikipulse',
        CLICKHOUSE_TLS_CA_FILE: pki.ca,
        CLICKHOUSE_TLS_CERT_FILE: pki.cert,
        CLICKHOUSE_TLS_KEY_FILE: pki.key,
      }),
    ).toEqual({
      kind: 'server',
      url: 'https://clickhouse:8443',
      username: 'wikipulse',
      tls: {
        ca: readFileSync(pki.ca, 'utf8'),
        cert: readFileSync(pki.cert, 'utf8'),
        key: readFileSync(pki.key, 'utf8'),
      },
    });
  });

  it('is always a server for an app that requires the URL', () => {
    const required = z
      .object({ ...clickHouseEnv, CLICKHOUSE_URL: clickHouseUrl })
      .check(...clickHouseEnvRules);
    expect(clickHouseServer(parseEnv(required, { CLICKHOUSE_URL: 'http://ch:8123' })).url).toBe(
      'http://ch:8123',
    );
    expect(problemsIn(required, { CLICKHOUSE_USER: 'u' })).toEqual([
      expect.stringMatching(/^CLICKHOUSE_URL: .*\(unset\)$/),
    ]);
  });
});

describe('ClickHouse settings problems', () => {
  it('refuses credentials in the URL without repeating them', () => {
    const problems = problemsOf({ CLICKHOUSE_URL: 'http://wikipulse:hunter2@clickhouse:8123' });
    expect(problems).toEqual([
      'CLICKHOUSE_URL: carries credentials: give them as CLICKHOUSE_USER and CLICKHOUSE_PASSWORD (or CLICKHOUSE_PASSWORD_FILE) (got "http://[redacted]@clickhouse:8123")',
    ]);
  });

  it('checks the credentials even when a TLS file is unusable', () => {
    expect(
      problemsOf({
        CLICKHOUSE_URL: 'https://wikipulse:hunter2@clickhouse:8443',
        CLICKHOUSE_TLS_CA_FILE: join(pki.dir, 'missing.pem'),
      }),
    ).toEqual([
      `CLICKHOUSE_TLS_CA_FILE: no such file (got "${pki.dir}/missing.pem")`,
      'CLICKHOUSE_URL: carries credentials: give them as CLICKHOUSE_USER and CLICKHOUSE_PASSWORD (or CLICKHOUSE_PASSWORD_FILE) (got "https://[redacted]@clickhouse:8443")',
    ]);
  });

  it('refuses a URL that is not HTTP', () => {
    expect(problemsOf({ CLICKHOUSE_URL: 'tcp://clickhouse:9000' })).toEqual([
      'CLICKHOUSE_URL: must be an http:// or https:// URL (got "tcp://clickhouse:9000")',
    ]);
  });

  it('refuses credentials and TLS for the embedded engine', () => {
    expect(
      problemsOf({
        CLICKHOUSE_USER: 'u',
        CLICKHOUSE_PASSWORD: 'p',
        CLICKHOUSE_TLS_CA_FILE: pki.ca,
      }),
    ).toEqual([
      'CLICKHOUSE_USER: only with CLICKHOUSE_URL (the embedded engine has no users and no TLS) (got "u")',
      'CLICKHOUSE_PASSWORD: only with CLICKHOUSE_URL (the embedded engine has no users and no TLS) (set)',
      `CLICKHOUSE_TLS_CA_FILE: only with CLICKHOUSE_URL (the embedded engine has no users and no TLS) (got "${pki.ca}")`,
    ]);
  });

  it('reports both password forms, TLS over http and unreadable files at once', () => {
    expect(
      problemsOf({
        CLICKHOUSE_URL: 'http://clickhouse:8123',
        CLICKHOUSE_PASSWORD: 'p',
        CLICKHOUSE_PASSWORD_FILE: pki.password,
        CLICKHOUSE_TLS_CA_FILE: pki.ca,
      }),
    ).toEqual([
      'CLICKHOUSE_PASSWORD: set only one of CLICKHOUSE_PASSWORD and CLICKHOUSE_PASSWORD_FILE (set)',
      `CLICKHOUSE_TLS_CA_FILE: needs an https:// CLICKHOUSE_URL (got "${pki.ca}")`,
    ]);
    expect(
      problemsOf({
        CLICKHOUSE_URL: 'https://clickhouse:8443',
        CLICKHOUSE_PASSWORD_FILE: join(pki.dir, 'missing'),
        CLICKHOUSE_TLS_CERT_FILE: pki.key,
      }),
    ).toEqual([
      `CLICKHOUSE_PASSWORD_FILE: no such file (got "${pki.dir}/missing")`,
      `CLICKHOUSE_TLS_CERT_FILE: holds no PEM certificate (-----BEGIN CERTIFICATE-----) (got "${pki.key}")`,
    ]);
  });

  it('wants a client certificate with its own key and the CA to trust', () => {
    expect(
      problemsOf({
        CLICKHOUSE_URL: 'https://clickhouse:8443',
        CLICKHOUSE_TLS_CERT_FILE: pki.cert,
        CLICKHOUSE_TLS_KEY_FILE: pki.otherKey,
      }),
    ).toEqual([
      `CLICKHOUSE_TLS_KEY_FILE: is not the key of the certificate in ${pki.cert} (got "${pki.otherKey}")`,
      `CLICKHOUSE_TLS_CERT_FILE: needs CLICKHOUSE_TLS_CA_FILE too (for a public CA, the system bundle: /etc/ssl/certs/ca-certificates.crt) (got "${pki.cert}")`,
    ]);
    expect(
      problemsOf({
        CLICKHOUSE_URL: 'https://clickhouse:8443',
        CLICKHOUSE_TLS_CA_FILE: pki.ca,
        CLICKHOUSE_TLS_KEY_FILE: pki.key,
      }),
    ).toEqual([
      `CLICKHOUSE_TLS_KEY_FILE: needs CLICKHOUSE_TLS_CERT_FILE (a client certificate takes its key) (got "${pki.key}")`,
    ]);
  });
});
