import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files made by openssl for the tests: a CA, a client certificate it signed, stray keys. */
export interface TestCertificates {
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
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'wikipulse-config-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=wikipulse-test-ca',
  );
  openssl(
    'req',
    ...EC,
    '-keyout',
    file('client.key'),
    '-out',
    file('client.csr'),
    '-subj',
    '/CN=wikipulse',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('client.pem'),
    '-days',
    '1',
  );
  openssl(
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file('other.key'),
  );
  openssl(
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-aes256',
    '-pass',
    'pass:wikipulse',
    '-out',
    file('encrypted.key'),
  );
  return {
    dir,
    ca: file('ca.pem'),
    cert: file('client.pem'),
    key: file('client.key'),
    otherKey: file('other.key'),
    encryptedKey: file('encrypted.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
