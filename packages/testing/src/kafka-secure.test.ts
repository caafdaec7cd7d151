import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSecureConnection, parseKafkaSecureInfo } from './kafka-secure.js';

const valid = {
  brokers: ['127.0.0.1:19094'],
  caFile: '/data/tls/ca.pem',
  otherCaFile: '/data/tls/other-ca.pem',
  clientCertFile: '/data/tls/client.pem',
  clientKeyFile: '/data/tls/client.key',
  users: {
    scram256: { username: 'wikipulse-scram-256', password: 'secret-256' },
    scram512: { username: 'wikipulse-scram-512', password: 'secret-512' },
    plain: { username: 'wikipulse-plain', password: 'secret-plain' },
  },
};

describe('secure.json', () => {
  it('reads what kafka.sh writes', () => {
    expect(parseKafkaSecureInfo(JSON.stringify(valid), 'secure.json')).toEqual(valid);
  });

  it('names the file and the field that is wrong, and no value', () => {
    const broken = { ...valid, users: { ...valid.users, plain: { username: 'wikipulse-plain' } } };
    expect(() => parseKafkaSecureInfo(JSON.stringify(broken), '/x/secure.json')).toThrow(
      '/x/secure.json: users.plain.password must be a non-empty string',
    );
    const noBrokers = { ...valid, brokers: [] };
    expect(() => parseKafkaSecureInfo(JSON.stringify(noBrokers), 'f')).toThrow(
      'f: brokers must be a non-empty list',
    );
  });

  it('does not quote a file that is not JSON', () => {
    expect(() => parseKafkaSecureInfo('password=secret-256', 'f')).toThrow(/^f is not JSON$/);
  });
});

describe('a connection to the secure listener', () => {
  it('trusts the test CA and logs in as the user with its mechanism', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wikipulse-secure-'));
    try {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, '-----BEGIN CERTIFICATE-----\n');
      const info = { ...valid, caFile };
      expect(await kafkaSecureConnection(info, 'scram256')).toEqual({
        brokers: ['127.0.0.1:19094'],
        tls: { ca: '-----BEGIN CERTIFICATE-----\n' },
        sasl: {
          mechanism: 'scram-sha-256',
          username: 'wikipulse-scram-256',
          password: 'secret-256',
        },
      });
      expect((await kafkaSecureConnection(info, 'scram512')).sasl?.mechanism).toBe('scram-sha-512');
      expect((await kafkaSecureConnection(info, 'plain')).sasl?.mechanism).toBe('plain');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
