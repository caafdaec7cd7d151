import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError, parseEnv, type z } from '../index.js';

/** Files for the tests: a CA and a client certificate it signed (openssl), keys, secrets. */
export interface TestFiles {
  dir: string;
  /** The CA's certificate (PEM). */
  ca: string;
  /** A client certificate signed by the CA, and its key. */
  cert: string;
  key: string;
  /** A key that belongs to no certificate here. */
  otherKey: string;
  /** A key encrypted with a passphrase. */
  encryptedKey: string;
  /** `from-a-file` and a line break, as `echo` writes it. */
  password: string;
  /** An OAUTHBEARER token. */
  token: string;
  remove(): void;
}

export function makeTestFiles(): TestFiles {
  const dir = mkdtempSync(join(tmpdir(), 'wikipulse-config-'));
  const file = (name: string) => join(dir, name);
  // `@name` stands for a file in the test folder.
  const openssl = (args: string) =>
    execFileSync(
      'openssl',
      args.split(' ').map((arg) => (arg.startsWith('@') ? file(arg.slice(1)) : arg)),
      { stdio: 'pipe' },
    );
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  const key = 'genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1';
  openssl(`req -x509 ${ec} -keyout @ca.key -out @ca.pem -days 1 -subj /CN=wikipulse-test-ca`);
  openssl(`req ${ec} -keyout @client.key -out @client.csr -subj /CN=wikipulse`);
  openssl('x509 -req -in @client.csr -CA @ca.pem -CAkey @ca.key -out @client.pem -days 1');
  openssl(`${key} -out @other.key`);
  openssl(`${key} -aes256 -pass pass:wikipulse -out @encrypted.key`);
  writeFileSync(file('password'), 'from-a-file\n');
  writeFileSync(file('token'), 'eyJhbGciOiJub25lIn0.e30.\n');
  return {
    dir,
    ca: file('ca.pem'),
    cert: file('client.pem'),
    key: file('client.key'),
    otherKey: file('other.key'),
    encryptedKey: file('encrypted.key'),
    password: file('password'),
    token: file('token'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The problem lines of an environment a schema refuses. */
export function problemsOf(schema: z.ZodType, env: Record<string, string>): string[] {
  try {
    parseEnv(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return expect.unreachable('the environment parsed');
}
